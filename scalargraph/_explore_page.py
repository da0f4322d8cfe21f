"""The explorer page: HTML, CSS and JavaScript, filled in by ``explore.page``.

``/*DATA*/`` becomes the tape (``DATA``: ops, arguments, labels, depths, groups), its
precomputed points (values and local partials) and ``lin(o, x, y)``, the op table in
JavaScript. Everything else is here and in ``explorer.js`` (layout, stepping, sweeps).
"""

import importlib.resources

_CSS = """
body { font: 14px/1.35 Helvetica, Arial, sans-serif; margin: 0; color: #222; }
header { padding: 8px 12px; background: #f4f4f4; border-bottom: 1px solid #ddd; }
header h1 { font-size: 16px; margin: 0 0 6px 0; }
.row { display: flex; flex-wrap: wrap; gap: 6px 14px; align-items: center; margin: 3px 0; }
button { font: inherit; padding: 2px 9px; }
#main { display: flex; height: calc(100vh - 118px); }
#canvas { flex: 1; overflow: auto; position: relative; }
#info { width: 330px; border-left: 1px solid #ddd; padding: 8px 10px; overflow: auto;
        font-size: 13px; }
#info table { border-collapse: collapse; } #info td { padding: 1px 6px 1px 0; vertical-align: top; }
#info .num { font-family: Menlo, Consolas, monospace; }
#note { color: #a05a00; } #status { color: #555; }
svg text { font-family: Helvetica, Arial, sans-serif; }
.node rect { fill: #fff; stroke: #444; stroke-width: 1; }
.node.input rect { fill: #eee; } .node.const rect { stroke-dasharray: 4 2; }
.node.output rect { stroke-width: 2.5; }
.node.cur rect { fill: #fff3b0; stroke: #c80; stroke-width: 2.5; }
.node.ghost { opacity: 0.45; } .node.par rect { fill: #e5f2ff; } .node.sel rect { stroke: #d00; stroke-width: 2.5; }
.node .head { font-weight: bold; font-size: 12px; }
.node .val { fill: #000; font-size: 11px; } .node .adj { fill: #1040d0; font-size: 11px; }
.node .tan { fill: #0a7a2a; font-size: 11px; } .node .sum { fill: #1040d0; font-size: 10px; }
.edge { fill: none; stroke: #999; stroke-width: 1.2; }
.edge.hot { stroke: #c80; stroke-width: 2; }
.elabel { font-size: 10px; fill: #1040d0; } .elabel.fwd { fill: #000; } .elabel.tan { fill: #0a7a2a; }
.group rect.box { fill: #fafafa; stroke: #666; } .group.cur rect.box { fill: #fff3b0; stroke: #c80; }
.group rect.bar { fill: #9cc3ff; } .group text { font-size: 11px; }
.gedge { stroke: #bbb; stroke-width: 1; fill: none; }
"""

_BODY = """
<header>
 <h1>/*TITLE*/</h1>
 <div class="row">
  <label>pass <select id="mode">
   <option value="forward">forward pass: values</option>
   <option value="reverse">reverse pass: adjoints</option>
   <option value="tangent">forward mode: tangents</option></select></label>
  <label id="outwrap">from output <select id="output"></select></label>
  <label id="dirwrap">along input <select id="direction"></select></label>
  <button id="reset" title="back to the start">&laquo; reset</button>
  <button id="back" title="one step back">&#x25C0; back</button>
  <button id="step" title="one node">step &#x25B6;</button>
  <button id="play">play</button>
  <button id="end" title="run to the end">end &raquo;</button>
  <label>speed <input id="speed" type="range" min="1" max="60" value="6"></label>
  <span id="status"></span>
 </div>
 <div class="row">
  <label>point <select id="point"></select></label>
  <span id="typed"></span> <button id="evaluate">evaluate here</button>
  <button id="overview" style="display:none">overview of groups</button>
  <span id="note"></span>
 </div>
</header>
<div id="main"><div id="canvas"></div><div id="info"></div></div>
"""

# The script is a file of its own (package data), so it reads and lints as JavaScript.
_JS = (importlib.resources.files(__package__) / "explorer.js").read_text(encoding="utf-8")

PAGE = ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "script-src 'unsafe-inline'; style-src 'unsafe-inline'\">\n"
        "<title>/*TITLE*/</title>\n<style>" + _CSS + "</style></head><body>" + _BODY
        + "<script>\n/*DATA*/\n" + _JS + "</script></body></html>\n")
