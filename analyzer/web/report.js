/*
 * report.js: the script of leakanalyze's HTML report (analyzer/html.c inlines it).
 *
 * It reads the data object of the page (<script type="application/json" id="leakrec-data">,
 * described in html.h) and builds the page with DOM text nodes only (nothing from the trace is
 * ever parsed as markup): the header and its warnings, the summary, the heap/RSS chart with the
 * top stacks' live bytes stacked under the heap, the flamegraph, the tables.  Every figure
 * shown is one of the data's (the analyzer computed them, as --json does); the script only
 * formats, lays out and adds up matches of a search.  No request is made: the page's
 * Content-Security-Policy forbids them.
 *
 * Keyboard: every control is a button or an input; the chart takes arrow keys (Shift extends a
 * selection); the flamegraph takes arrow keys (parent, child, siblings), Enter (zoom) and
 * Escape (reset).
 */
(function () {
	"use strict";
	var D = JSON.parse(document.getElementById("leakrec-data").textContent);
	var app = document.getElementById("app");
	var FRAMES = (D.frames || []).map(function (f) {
		return { fn: f[0], file: f[1], line: f[2], mod: f[3], inl: !!f[4], off: f[5] };
	});
	var tip = el("div", { "class": "tip", role: "tooltip", hidden: "" });
	document.body.appendChild(tip);

	/* ---- helpers ---- */

	/* Makes an element: attrs are attributes ("text" sets its text), kids elements or strings. */
	function el(tag, attrs, kids) {
		var ns = tag.indexOf("svg:") === 0 ? "http://www.w3.org/2000/svg" : null;
		var e = ns ? document.createElementNS(ns, tag.slice(4)) : document.createElement(tag);
		for (var k in attrs || {}) {
			if (k === "text")
				e.textContent = attrs[k];
			else if (attrs[k] !== undefined && attrs[k] !== null && attrs[k] !== false)
				e.setAttribute(k, attrs[k]);
		}
		(kids || []).forEach(function (c) {
			if (c !== null && c !== undefined)
				e.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
		});
		return e;
	}

	function exact(v) { return Number(v).toLocaleString("en-US"); }

	function human(v) {
		var u = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
		if (v < 1024)
			return v + " B";
		var x = v / 1024, i = 0;
		while (x >= 1024 && i + 1 < u.length) {
			x /= 1024;
			i++;
		}
		return x.toFixed(1) + " " + u[i];
	}

	function plural(n, w) { return exact(n) + " " + w + (n === 1 ? "" : "s"); }

	/* A figure with its unit, exact: "12,288 bytes (12.0 KiB)", "3 allocations". */
	function figure(v, unit) {
		if (unit === "bytes")
			return plural(v, "byte") + (v >= 1024 ? " (" + human(v) + ")" : "");
		return plural(v, "allocation");
	}

	function short(v, unit) { return unit === "bytes" ? human(v) : exact(v); }

	function seconds(s) {
		s = Number(s);
		if (s < 0.001)
			return Math.round(s * 1e6) + " us";
		if (s < 1)
			return (s * 1000).toFixed(3) + " ms";
		return s.toFixed(3) + " s";
	}

	function pct(a, b) { return b ? (100 * a / b).toFixed(2) + "%" : "0.00%"; }

	function signed(v, unit) {
		if (v === 0)
			return unit === "bytes" ? "0 B" : "0";
		var s = v > 0 ? "+" : "-", a = Math.abs(v);
		return s + (unit === "bytes" ? (a >= 1024 ? human(a) + " (" + s + exact(a) + ")" : exact(a) + " B") : exact(a));
	}

	function frameName(f) {
		if (!f)
			return "[left out]";
		if (f.fn)
			return f.fn;
		if (f.mod && f.mod !== "[unknown]")
			return f.mod.replace(/.*\//, "") + "+0x" + f.off.toString(16);
		return "[unknown]";
	}

	function frameWhere(f, lineVaries) {
		if (!f || !f.file)
			return "";
		return f.file + (f.line && !lineVaries ? ":" + f.line : "");
	}

	/* A stack (frame indices, or FRAME objects of the JSON contract) as frame records. */
	function stackFrames(stack) {
		return (stack || []).map(function (x) {
			if (typeof x === "number")
				return FRAMES[x];
			return { fn: x["function"], file: x.file, line: x.line, mod: x.module, inl: x.inlined, off: 0 };
		});
	}

	/* The first frame of a stack that is the program's (not the C runtime's start-up). */
	function stackLabel(stack) {
		var fr = stackFrames(stack);
		return fr.length ? frameName(fr[0]) : "[stack not recorded]";
	}

	function stackList(stack, recorded) {
		var fr = stackFrames(stack);
		if (!fr.length)
			return el("p", { "class": "muted", text: recorded === false ? "[stack not recorded]" : "[no frames]" });
		return el("ol", { "class": "stack" }, fr.map(function (f) {
			var where = frameWhere(f);
			return el("li", {}, [frameName(f), where ? "  " + where : "",
				f && f.mod ? el("span", { "class": "muted", text: "  (" + f.mod.replace(/.*\//, "") + ")" }) : null,
				f && f.inl ? el("span", { "class": "muted", text: "  [inlined]" }) : null]);
		}));
	}

	function showTip(x, y, kids) {
		tip.textContent = "";
		kids.forEach(function (k) { tip.appendChild(typeof k === "string" ? el("div", { text: k }) : k); });
		tip.hidden = false;
		var r = tip.getBoundingClientRect();
		var left = Math.min(x + 14, window.innerWidth - r.width - 4);
		var top = y + 16 + r.height > window.innerHeight ? y - r.height - 10 : y + 16;
		tip.style.left = Math.max(2, left) + "px";
		tip.style.top = Math.max(2, top) + "px";
	}

	function hideTip() { tip.hidden = true; }

	function section(id, title, kids) {
		return el("section", { id: id, "aria-labelledby": id + "-h" },
			[el("h2", { id: id + "-h", text: title })].concat(kids));
	}

	/* ---- header and summary ---- */

	function argvText(p) {
		return p && p.argv && p.argv.length ? p.argv.join(" ") : (p ? p.exe : "?");
	}

	function warnings(diag, label, summary) {
		var out = [];
		if (summary && summary.sample_rate_bytes)
			out.push(el("div", { "class": "banner", role: "note", id: "sampled" },
				["Sampled trace" + (label ? " (" + label + ")" : "") + " (leakrec --sample " + exact(summary.sample_rate_bytes) +
				"): one allocation per " + human(summary.sample_rate_bytes) + " allocated was recorded on average. Every figure (~) is an estimate: " +
				"each recorded allocation of s bytes counts as 1/(1-exp(-s/R)) allocations. Temporary allocations are not estimated."]));
		if (summary && summary.attached) /* leakrec -p: what the trace covers, as the text report's attached line */
			out.push(el("div", { "class": "banner", role: "note", id: label ? "attached-" + label : "attached" },
				["Attached trace" + (label ? " (" + label + ")" : "") + ": recorded for " +
				seconds(!label && D.window ? D.window.run_duration_s : summary.duration_s) +
				" after attaching to a running process (leakrec -p); blocks allocated before are unknown (" +
				plural(summary.frees_before_attach, "free") + " of them not counted); leaks are blocks allocated while attached and still live at detach."]));
		if (diag && !diag.complete)
			out.push(el("div", { "class": "banner warn", role: "alert", id: "incomplete" },
				["Incomplete trace" + (label ? " (" + label + ")" : "") + ": the recording did not end normally " +
				"(no end record, damage, or lost events" +
				(diag.dropped_events ? ": " + exact(diag.dropped_events) + " events dropped" : "") +
				"). Every figure covers only what was recorded; what looks leaked may only have been live when the recording stopped."]));
		return out;
	}

	function card(key, label, value, extra) {
		return el("div", { "class": "card", "data-key": key },
			[el("div", { "class": "k", text: label }), el("div", { "class": "v", text: value }),
			 extra ? el("div", { "class": "x", text: extra }) : null]);
	}

	function summaryCards() {
		var s = D.summary, w = D.window, sup = D.suppressed, m = s.sample_rate_bytes ? "~" : "";
		var cards = [
			card("duration_s", w && (D.options.from || D.options.to) ? "window" : "duration", seconds(s.duration_s),
			     D.options.from || D.options.to ? "from " + seconds(w.from_s) + " to " + seconds(w.to_s) + " of a " +
			     seconds(w.run_duration_s) + " run" : null),
			card("allocations", "allocations", m + exact(s.allocations), m + human(s.allocated_bytes) + " allocated (" + m + exact(s.allocated_bytes) + " bytes)"),
			card("frees", "frees", m + exact(s.frees)),
			card("peak_heap_bytes", "peak heap", m + human(s.peak_heap_bytes),
			     m + exact(s.peak_heap_bytes) + " bytes in " + m + plural(D.peak_allocations, "allocation") + " at " + seconds(s.peak_time_s)),
			card("peak_rss_bytes", "peak RSS", s.peak_rss_bytes ? human(s.peak_rss_bytes) : "not sampled",
			     s.peak_rss_bytes ? exact(s.peak_rss_bytes) + " bytes" : null),
			card("leaked_bytes", "leaked", m + human(s.leaked_bytes), m + exact(s.leaked_bytes) + " bytes in " + m + plural(s.leaked_allocations, "allocation")),
			card("runtime_leaked_bytes", "runtime-owned", m + human(s.runtime_leaked_bytes), "kept by the C/C++/Rust runtime, not counted as leaked"),
			m ? card("temporary_allocations", "temporary", "not estimated", "a sampled trace holds few short-lived blocks")
			  : card("temporary_allocations", "temporary", exact(s.temporary_allocations),
			     s.allocations ? (100 * s.temporary_allocations / s.allocations).toFixed(1) + "% of allocations" : null)
		];
		if (D.options.suppressions)
			cards.push(card("suppressed", "suppressed", human(sup.bytes), exact(sup.bytes) + " bytes in " +
				plural(sup.allocations, "allocation") + " from " + plural(sup.stacks, "stack") + ", not counted as leaked"));
		cards.forEach(function (c) {
			var k = c.getAttribute("data-key");
			c.setAttribute("data-value", k === "suppressed" ? sup.bytes : s[k]);
		});
		return el("div", { "class": "summary", id: "summary" }, cards);
	}

	function commandLine() {
		var o = D.options, a = ["leakanalyze", "--json"];
		if (o.top !== 10)
			a.push("-n", String(o.top));
		if (o.from)
			a.push("--from", JSON.stringify(o.from));
		if (o.to)
			a.push("--to", JSON.stringify(o.to));
		if (o.show_alloc_frames)
			a.push("--show-alloc-frames");
		if (o.suppressions)
			a.push("--suppressions", o.suppressions);
		a.push(D.trace);
		return a.join(" ");
	}

	/* ---- the chart: heap and RSS over time, the top stacks' live bytes stacked ---- */

	var PALETTE = ["#4c6ef5", "#12b886", "#fab005", "#e64980", "#7950f2", "#15aabf", "#82c91e", "#fd7e14"];

	function chart() {
		var tl = D.timeline, pts = tl.points;
		if (!pts.length)
			return el("p", { "class": "muted", text: "No events in the window: nothing to draw." });
		var W = 1000, H = 300, L = 70, R = tl.rss_sampled ? 70 : 12, T = 12, B = 34;
		var from = Number(D.window.from_s), to = Number(D.window.to_s);
		if (to <= from)
			to = from + 1e-9;
		var max = 0, rmax = 0;
		pts.forEach(function (p) { max = Math.max(max, p[1]); rmax = Math.max(rmax, p[2]); });
		var top = max || 1, rtop = rmax || 1;
		function X(t) { return L + (Number(t) - from) / (to - from) * (W - L - R); }
		function Y(v) { return T + (1 - v / top) * (H - T - B); }
		function YR(v) { return T + (1 - v / rtop) * (H - T - B); }
		var svg = el("svg:svg", { viewBox: "0 0 " + W + " " + H, role: "img",
			"aria-label": "Heap over time: peak " + exact(max) + " bytes" });
		for (var g = 0; g <= 4; g++) {
			var gy = T + g * (H - T - B) / 4;
			svg.appendChild(el("svg:line", { "class": "grid", x1: L, x2: W - R, y1: gy, y2: gy }));
			svg.appendChild(el("svg:text", { x: L - 6, y: gy + 4, "text-anchor": "end", text: human(Math.round(top * (4 - g) / 4)) }));
			if (tl.rss_sampled)
				svg.appendChild(el("svg:text", { x: W - R + 6, y: gy + 4, text: human(Math.round(rtop * (4 - g) / 4)) }));
		}
		svg.appendChild(el("svg:line", { "class": "axis", x1: L, x2: W - R, y1: H - B, y2: H - B }));
		[from, (from + to) / 2, to].forEach(function (t, i) {
			svg.appendChild(el("svg:text", { x: X(t), y: H - B + 16, "text-anchor": ["start", "middle", "end"][i], text: seconds(t) }));
		});
		/* the top stacks' live bytes, stacked, at the end of each series bucket */
		var step = Number(tl.series_step_s || 0), acc = null, legend = [];
		tl.series.forEach(function (s, i) {
			var n = s.values.length, prev = acc || s.values.map(function () { return 0; });
			var cur = s.values.map(function (v, k) { return prev[k] + v; });
			var d = "";
			for (var k = 0; k < n; k++) {
				var x0 = X(Math.min(to, from + k * step)), x1 = X(Math.min(to, from + (k + 1) * step));
				d += (k ? "L" : "M") + x0.toFixed(1) + "," + Y(cur[k]).toFixed(1) + "L" + x1.toFixed(1) + "," + Y(cur[k]).toFixed(1);
			}
			for (k = n - 1; k >= 0; k--) {
				var xa = X(Math.min(to, from + (k + 1) * step)), xb = X(Math.min(to, from + k * step));
				d += "L" + xa.toFixed(1) + "," + Y(prev[k]).toFixed(1) + "L" + xb.toFixed(1) + "," + Y(prev[k]).toFixed(1);
			}
			svg.appendChild(el("svg:path", { d: d + "Z", fill: PALETTE[i % PALETTE.length], "fill-opacity": "0.55",
				"class": "series", "data-label": stackLabel(s.stack) }));
			legend.push(el("span", {}, [el("span", { "class": "sw", style: "background:" + PALETTE[i % PALETTE.length] }), stackLabel(s.stack)]));
			acc = cur;
		});
		/* the heap: each point is its bucket's largest heap, at the moment it was reached */
		var hd = "", rd = "";
		pts.forEach(function (p, i) {
			hd += (i ? "L" : "M") + X(p[0]).toFixed(1) + "," + Y(p[1]).toFixed(1);
			rd += (i ? "L" : "M") + X(p[0]).toFixed(1) + "," + YR(p[2]).toFixed(1);
		});
		if (tl.rss_sampled)
			svg.appendChild(el("svg:path", { "class": "rss", d: rd }));
		svg.appendChild(el("svg:path", { "class": "heap", d: hd, "data-max": max }));
		(D.marks || []).forEach(function (m) {
			var t = Number(m.t_s);
			if (t < from || t > to)
				return;
			var line = el("svg:line", { "class": "mark", x1: X(t), x2: X(t), y1: T, y2: H - B }, [el("svg:title", { text: seconds(t) + " " + m.label })]);
			svg.appendChild(line);
			svg.appendChild(el("svg:text", { x: X(t) + 3, y: T + 10, text: m.label.length > 24 ? m.label.slice(0, 23) + "\u2026" : m.label }));
		});
		var cursor = el("svg:line", { "class": "cursor", y1: T, y2: H - B, x1: -10, x2: -10 });
		var sel = el("svg:rect", { "class": "sel", y: T, height: H - T - B, x: 0, width: 0 });
		svg.appendChild(sel);
		svg.appendChild(cursor);
		var out = el("div", { "class": "muted", id: "range", "aria-live": "polite",
			text: "Drag across the chart (or Shift+arrow keys) to select a window." });
		var box = el("div", { "class": "chart", id: "chart", tabindex: "0", "data-max": max, "data-peak-rss": rmax,
			"aria-label": "Heap over time chart; arrow keys move the cursor, Shift+arrows select a window" }, [svg]);

		function svgX(ev) {
			var r = svg.getBoundingClientRect();
			return (ev.clientX - r.left) / r.width * W;
		}
		function pointAt(x) {
			var best = 0;
			for (var i = 0; i < pts.length; i++)
				if (Math.abs(X(pts[i][0]) - x) < Math.abs(X(pts[best][0]) - x))
					best = i;
			return best;
		}
		function timeAt(x) { return from + Math.max(0, Math.min(1, (x - L) / (W - L - R))) * (to - from); }
		var cur = 0, anchor = null, dragging = false;
		function show(i, ev) {
			cur = i;
			var p = pts[i], x = X(p[0]);
			cursor.setAttribute("x1", x);
			cursor.setAttribute("x2", x);
			var r = svg.getBoundingClientRect();
			var cx = ev ? ev.clientX : r.left + x / W * r.width, cy = ev ? ev.clientY : r.top + r.height / 3;
			var lines = ["t = " + seconds(p[0]) + " (" + p[0] + " s)", "heap " + exact(p[1]) + " bytes (" + human(p[1]) + ")"];
			if (tl.rss_sampled)
				lines.push("RSS " + exact(p[2]) + " bytes (" + human(p[2]) + ")");
			showTip(cx, cy, lines);
			box.setAttribute("data-cursor", i);
		}
		function select(t0, t1) {
			var a = Math.min(t0, t1), b = Math.max(t0, t1);
			sel.setAttribute("x", X(a));
			sel.setAttribute("width", Math.max(0, X(b) - X(a)));
			var cmd = "--from " + a.toFixed(6) + "s --to " + b.toFixed(6) + "s";
			out.textContent = "";
			out.appendChild(document.createTextNode("Selected " + seconds(a) + " to " + seconds(b) + ": "));
			out.appendChild(el("code", { "class": "cmdline", id: "range-cmd", text: cmd }));
			out.appendChild(document.createTextNode(" gives this window on the command line."));
		}
		svg.addEventListener("pointerdown", function (ev) {
			dragging = true;
			anchor = timeAt(svgX(ev));
			svg.setPointerCapture(ev.pointerId);
		});
		svg.addEventListener("pointermove", function (ev) {
			var x = svgX(ev);
			show(pointAt(x), ev);
			if (dragging)
				select(anchor, timeAt(x));
		});
		svg.addEventListener("pointerup", function (ev) {
			dragging = false;
			var t = timeAt(svgX(ev));
			if (Math.abs(X(t) - X(anchor)) < 2) {
				sel.setAttribute("width", 0);
				anchor = null;
			}
		});
		svg.addEventListener("pointerleave", hideTip);
		box.addEventListener("blur", hideTip);
		box.addEventListener("keydown", function (ev) {
			var d = ev.key === "ArrowRight" ? 1 : ev.key === "ArrowLeft" ? -1 : 0;
			if (!d)
				return;
			ev.preventDefault();
			var i = Math.max(0, Math.min(pts.length - 1, cur + d));
			if (ev.shiftKey) {
				if (anchor === null)
					anchor = Number(pts[cur][0]);
				select(anchor, Number(pts[i][0]));
			} else {
				anchor = null;
			}
			show(i);
		});
		var leg = [el("span", {}, [el("span", { "class": "sw", style: "background:var(--heap)" }), "heap (largest in each of " + pts.length + " steps)"])];
		if (tl.rss_sampled)
			leg.push(el("span", {}, [el("span", { "class": "sw", style: "background:var(--rss)" }), "RSS (right axis)"]));
		return el("div", {}, [box, el("div", { "class": "legend" }, leg.concat(legend)), out]);
	}

	/* ---- the flamegraph ---- */

	/* Parses a tree's flat node list (html.c: write_node) into linked nodes. */
	function parseTree(t) {
		var a = t.nodes, s = t.stride, i = 0, id = 0;
		function node(parent, depth) {
			var n = { f: a[i], v: a[i + 1], self: a[i + 2], lv: !!a[i + 3], b: s === 6 ? a[i + 4] : null,
				parent: parent, depth: depth, kids: [], id: id++ };
			var nk = a[i + s - 1];
			i += s;
			for (var k = 0; k < nk; k++)
				n.kids.push(node(n, depth + 1));
			return n;
		}
		return node(null, 0);
	}

	function nodeName(n) {
		if (n.f === -1)
			return "all";
		return n.f === -2 ? "[frame left out: size bound]" : frameName(FRAMES[n.f]);
	}

	function hue(name) {
		var h = 0;
		for (var i = 0; i < name.length; i++)
			h = (h * 31 + name.charCodeAt(i)) >>> 0;
		return h;
	}

	function color(n, diff, maxChange) {
		if (n.f === -1)
			return "#c8c8c8";
		if (diff) {
			var d = n.v - n.b;
			if (!d || !maxChange)
				return "#dcdcdc";
			var k = Math.round(40 + 175 * Math.abs(d) / maxChange);
			return d > 0 ? "rgb(255," + (255 - k) + "," + (255 - k) + ")" : "rgb(" + (255 - k) + "," + (255 - k) + ",255)";
		}
		var h = hue(nodeName(n)), f = FRAMES[n.f];
		if (f && f.inl)
			return "rgb(" + (80 + h % 60) + "," + (170 + (h >> 8) % 60) + ",200)";
		return "rgb(" + (205 + h % 50) + "," + ((h >> 8) % 230) + "," + ((h >> 16) % 55) + ")";
	}

	function flame() {
		var kinds = D.flame.kinds, diff = D.mode === "diff";
		var state = { kind: 0, inverted: false, zoom: null, cur: null, query: "" };
		var cache = {};
		var box = el("div", { "class": "flame", id: "flame", tabindex: "0", role: "tree",
			"aria-label": "Flamegraph; arrow keys move between frames, Enter zooms, Escape resets" });
		var info = el("div", { "class": "muted", id: "flame-info" });
		var details = el("div", { "class": "details", id: "flame-details", "aria-live": "polite" });
		var found = el("div", { id: "flame-search-result", "aria-live": "polite" });
		var search = el("input", { type: "search", id: "flame-search", placeholder: "Search functions", "aria-label": "Search functions" });
		var inv = el("button", { type: "button", id: "flame-inverted", "aria-pressed": "false", text: "Bottom-up" });
		var reset = el("button", { type: "button", id: "flame-reset", text: "Reset zoom" });
		var kindButtons = kinds.map(function (k, i) {
			return el("button", { type: "button", role: "radio", "aria-checked": i === 0 ? "true" : "false", "data-kind": k.kind, text: k.label });
		});
		var kindGroup = el("div", { "class": "group", role: "radiogroup", "aria-label": "Figure", id: "flame-kinds" }, kindButtons);

		function tree() {
			var key = state.kind + (state.inverted ? "b" : "t");
			if (!cache[key]) {
				var k = kinds[state.kind], t = state.inverted ? k.bottom_up : k.top_down;
				cache[key] = { root: parseTree(t), data: t };
			}
			return cache[key];
		}
		function unit() { return kinds[state.kind].unit; }

		function describe(n) {
			var k = kinds[state.kind], total = k.total, lines = [];
			var f = n.f >= 0 ? FRAMES[n.f] : null;
			lines.push(el("div", { "class": "mono", text: nodeName(n) + (f && f.inl ? "  [inlined]" : "") }));
			lines.push(figure(n.v, unit()) + ", " + pct(n.v, total) + " of " + k.label);
			if (n.self && n.f !== -1)
				lines.push("self: " + figure(n.self, unit()));
			if (diff && n.b !== null)
				lines.push("base run: " + figure(n.b, unit()) + "; change " + signed(n.v - n.b, unit()));
			if (f && f.file)
				lines.push(frameWhere(f, n.lv));
			if (f && f.mod)
				lines.push("module " + f.mod);
			return lines;
		}

		function render() {
			var T = tree(), root = T.root, k = kinds[state.kind];
			var z = state.zoom || root, width = box.clientWidth || 1000;
			box.textContent = "";
			var maxChange = 0;
			(function walk(n) {
				if (n.b !== null)
					maxChange = Math.max(maxChange, Math.abs(n.v - n.b));
				n.kids.forEach(walk);
			})(root);
			var depth = 0, count = 0, re = state.query ? state.query.toLowerCase() : "";
			function draw(n, x, w, dim) {
				if (w * width < 0.5 && n !== z)
					return;
				var d = el("div", { "class": "fr" + (dim ? " dim" : ""), id: "fr-" + n.id, role: "treeitem",
					"data-fn": nodeName(n), "data-value": n.v, "data-depth": n.depth, "aria-label": nodeName(n) + ": " + figure(n.v, unit()),
					style: "left:" + (x * 100).toFixed(4) + "%;width:" + (w * 100).toFixed(4) + "%;top:" + (n.depth * 18) + "px;background:" + color(n, diff, maxChange),
					text: nodeName(n) });
				if (diff)
					d.setAttribute("data-base", n.b);
				var f = n.f >= 0 ? FRAMES[n.f] : null;
				if (f && f.inl)
					d.classList.add("inl");
				if (re && n.f >= 0 && nodeName(n).toLowerCase().indexOf(re) >= 0)
					d.classList.add("hit");
				if (state.cur === n)
					d.classList.add("cur");
				d._node = n;
				box.appendChild(d);
				count++;
				depth = Math.max(depth, n.depth);
				if (dim)
					return;
				var cx = x;
				n.kids.forEach(function (c) {
					var cw = n.v ? w * c.v / n.v : 0;
					draw(c, cx, cw, false);
					cx += cw;
				});
			}
			/* the zoomed frame's callers span the whole width, dimmed */
			var chain = [];
			for (var p = z.parent; p; p = p.parent)
				chain.unshift(p);
			chain.forEach(function (p) { draw(p, 0, 1, true); });
			draw(z, 0, 1, false);
			box.style.height = (depth + 1) * 18 + 4 + "px";
			box.setAttribute("data-kind", k.kind);
			box.setAttribute("data-total", k.total);
			info.textContent = "Total: " + figure(k.total, unit()) + (diff ? " in the new run (" + figure(k.base_total, unit()) + " in the base run)" : "") +
				". " + (state.inverted ? "Bottom-up: the allocating functions on top, their callers below." : "Root on top, callees below.") +
				" Click a frame to zoom." + (T.data.left_out_nodes ? " " + plural(T.data.left_out_nodes, "narrow frame") + " (" + figure(T.data.left_out_value, unit()) +
				") left out to bound the page's size." : "");
			if (state.cur)
				box.setAttribute("aria-activedescendant", "fr-" + state.cur.id);
			updateSearch();
		}

		function updateSearch() {
			var q = state.query.toLowerCase(), root = tree().root, k = kinds[state.kind];
			if (!q) {
				found.textContent = "";
				found.removeAttribute("data-value");
				return;
			}
			var sum = 0, hits = 0;
			(function walk(n, under) {
				var hit = n.f >= 0 && nodeName(n).toLowerCase().indexOf(q) >= 0;
				if (hit) {
					hits++;
					if (!under)
						sum += n.v;
				}
				n.kids.forEach(function (c) { walk(c, under || hit); });
			})(root, false);
			found.setAttribute("data-value", sum);
			found.textContent = hits ? "Matches: " + plural(hits, "frame") + ", " + figure(sum, unit()) + ", " + pct(sum, k.total) + " of the total"
				: "No frame matches \u201c" + state.query + "\u201d.";
		}

		function pick(n, ev) {
			state.cur = n;
			details.textContent = "";
			describe(n).forEach(function (x) { details.appendChild(typeof x === "string" ? el("div", { text: x }) : x); });
			if (ev)
				showTip(ev.clientX, ev.clientY, describe(n));
		}

		box.addEventListener("mousemove", function (ev) {
			var t = ev.target;
			if (t._node)
				pick(t._node, ev);
		});
		box.addEventListener("mouseleave", hideTip);
		box.addEventListener("click", function (ev) {
			if (ev.target._node) {
				state.zoom = ev.target._node;
				state.cur = ev.target._node;
				render();
			}
		});
		box.addEventListener("keydown", function (ev) {
			var n = state.cur || tree().root, m = null;
			if (ev.key === "ArrowUp")
				m = state.inverted ? n.kids[0] : n.parent;
			else if (ev.key === "ArrowDown")
				m = state.inverted ? n.parent : n.kids[0];
			else if (ev.key === "ArrowLeft" || ev.key === "ArrowRight") {
				var sib = n.parent ? n.parent.kids : [n], i = sib.indexOf(n) + (ev.key === "ArrowLeft" ? -1 : 1);
				m = sib[i];
			} else if (ev.key === "Enter") {
				state.zoom = n;
				render();
			} else if (ev.key === "Escape") {
				state.zoom = null;
				render();
			} else {
				return;
			}
			ev.preventDefault();
			if (m) {
				pick(m);
				render();
				var d = document.getElementById("fr-" + m.id);
				if (d) {
					var r = d.getBoundingClientRect();
					showTip(r.left + Math.min(r.width / 2, 40), r.top, describe(m));
				}
			}
		});
		box.addEventListener("blur", hideTip);
		kindButtons.forEach(function (b, i) {
			b.addEventListener("click", function () {
				state.kind = i;
				state.zoom = state.cur = null;
				kindButtons.forEach(function (x, j) { x.setAttribute("aria-checked", j === i ? "true" : "false"); });
				render();
			});
		});
		inv.addEventListener("click", function () {
			state.inverted = !state.inverted;
			state.zoom = state.cur = null;
			inv.setAttribute("aria-pressed", state.inverted ? "true" : "false");
			render();
		});
		reset.addEventListener("click", function () {
			state.zoom = null;
			render();
		});
		search.addEventListener("input", function () {
			state.query = search.value.trim();
			render();
		});
		window.addEventListener("resize", function () { render(); });
		var legend = diff ? el("div", { "class": "legend" }, [
			el("span", {}, [el("span", { "class": "sw", style: "background:rgb(255,60,60)" }), "grew (new run has more)"]),
			el("span", {}, [el("span", { "class": "sw", style: "background:rgb(60,60,255)" }), "shrank"]),
			el("span", {}, [el("span", { "class": "sw", style: "background:#dcdcdc" }), "unchanged; widths are the new run's"])]) : null;
		var wrap = el("div", {}, [el("div", { "class": "controls" }, [kindGroup, inv, reset, search]), found, info, legend, box, details]);
		wrap.render = render;
		return wrap;
	}

	/* ---- tables ---- */

	function sparkline(v) {
		var w = 120, h = 22, max = Math.max.apply(null, v), min = Math.min.apply(null, v), d = "";
		v.forEach(function (x, i) {
			var px = v.length > 1 ? i * w / (v.length - 1) : 0;
			var py = max > min ? h - 2 - (x - min) / (max - min) * (h - 4) : h / 2;
			d += (i ? "L" : "M") + px.toFixed(1) + "," + py.toFixed(1);
		});
		return el("svg:svg", { width: w, height: h, viewBox: "0 0 " + w + " " + h, role: "img",
			"aria-label": "live bytes from " + exact(v[0]) + " to " + exact(v[v.length - 1]) + ", largest " + exact(max) },
			[el("svg:path", { "class": "spark", d: d })]);
	}

	function cell(type, v) {
		switch (type) {
		case "bytes":
			return el("td", { "class": "n", "data-value": v }, [human(v), el("span", { "class": "sub", text: exact(v) + " B" })]);
		case "count":
			return el("td", { "class": "n", "data-value": v, text: exact(v) });
		case "rate":
			return el("td", { "class": "n", "data-value": v, text: "+" + human(Math.round(v)) + "/s" });
		case "ratio":
			return el("td", { "class": "n", "data-value": v, text: Number(v).toFixed(2) });
		case "seconds":
			return el("td", { "class": "n", "data-value": v === null ? -1 : v, text: v === null ? "\u2013" : seconds(v) });
		case "byte_seconds":
			return el("td", { "class": "n", "data-value": v, text: (v < 1024 ? Number(v).toFixed(v < 10 ? 2 : 0) + " B" : human(v)) + "\u00b7s" });
		case "series":
			return el("td", {}, [sparkline(v)]);
		case "change_bytes":
		case "change_count":
			var u = type === "change_bytes" ? "bytes" : "count", d = v[1] - v[0];
			return el("td", { "class": "n" + (d > 0 ? " grew" : d < 0 ? " shrank" : ""), "data-value": d, "data-base": v[0], "data-new": v[1] },
				[signed(d, u), el("span", { "class": "sub", text: short(v[0], u) + " \u2192 " + short(v[1], u) })]);
		default:
			return el("td", { "class": v === "appeared" || v === "grew" ? "grew" : v === "shrank" || v === "disappeared" ? "shrank" : "", text: String(v) });
		}
	}

	function table(t) {
		var head = el("tr", {}, t.columns.map(function (c) {
			return el("th", { scope: "col", "class": /^(text|series)$/.test(c.type) ? "" : "n", text: c.label });
		}).concat([el("th", { scope: "col", text: "Stack (innermost first)" })]));
		var body = el("tbody");
		t.rows.forEach(function (r, i) {
			var id = t.id + "-stack-" + i;
			var btn = el("button", { type: "button", "class": "fnbtn", "aria-expanded": "false", "aria-controls": id, text: stackLabel(r.stack) });
			var tr = el("tr", { "data-row": i }, t.columns.map(function (c, k) { return cell(c.type, r.values[k]); }).concat([el("td", {}, [btn])]));
			var sr = el("tr", { "class": "stackrow", id: id, hidden: "" }, [el("td", { colspan: t.columns.length + 1 },
				[stackList(r.stack, r.stack_recorded), r.stack_cut ? el("p", { "class": "muted", text: "Stack cut short: the page's size bound." }) : null,
				 r.stack_ids ? el("div", { "class": "muted", text: "stack id" + (r.stack_ids.length > 1 ? "s " : " ") + r.stack_ids.join(", ") }) : null,
				 r.key ? el("div", { "class": "muted mono", text: "key " + r.key }) : null])]);
			btn.addEventListener("click", function () {
				var open = btn.getAttribute("aria-expanded") !== "true";
				btn.setAttribute("aria-expanded", open ? "true" : "false");
				sr.hidden = !open;
			});
			body.appendChild(tr);
			body.appendChild(sr);
		});
		var note = t.total === 0 ? "none" : t.shown < t.total ? "top " + exact(t.shown) + " of " + plural(t.total, "stack") + " (-n " + D.options.top + ")" : plural(t.total, "stack");
		var kids = [el("p", { "class": "muted", text: note + (t.rows.length < t.shown ? "; the page holds the first " + t.rows.length + " (leakanalyze --json lists them all)" : "") })];
		if (t.rows.length)
			kids.push(el("div", { "class": "tablewrap" }, [el("table", { id: "table-" + t.id }, [el("thead", {}, [head]), body])]));
		return section("t-" + t.id, t.title, kids);
	}

	function histogram() {
		var h = D.histogram || [], top = 0;
		h.forEach(function (c) { top = Math.max(top, c.allocations); });
		if (!h.length)
			return section("sizes", "Allocation sizes", [el("p", { "class": "muted", text: "none" })]);
		function pow2(v) {
			var u = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"], i = 0;
			if (typeof v !== "number" || v >= 18446744073709552000)
				return "16 EiB";
			while (v >= 1024 && v % 1024 === 0 && i + 1 < u.length) {
				v /= 1024;
				i++;
			}
			return v + " " + u[i];
		}
		var rows = h.map(function (c) {
			return el("tr", {}, [el("td", { "class": "mono", text: pow2(c.min) + " \u2013 " + pow2(c.max) }),
				el("td", { "class": "n", "data-value": c.allocations, text: exact(c.allocations) }),
				el("td", { style: "width:40%" }, [el("div", { "class": "bar", style: "width:" + (top ? 100 * c.allocations / top : 0) + "%" })]),
				el("td", { "class": "n", "data-value": c.bytes }, [human(c.bytes), el("span", { "class": "sub", text: exact(c.bytes) + " B" })])]);
		});
		return section("sizes", "Allocation sizes (requested bytes)", [el("div", { "class": "tablewrap" }, [el("table", { id: "table-sizes" }, [
			el("thead", {}, [el("tr", {}, [el("th", { text: "Size class" }), el("th", { "class": "n", text: "Allocations" }), el("th", { text: "" }), el("th", { "class": "n", text: "Bytes" })])]),
			el("tbody", {}, rows)])])]);
	}

	/* ---- the comparison's summary and gates ---- */

	function diffSummary() {
		var rows = D.summary.map(function (f) {
			var d = f["new"] - f.base;
			return el("tr", { "data-key": f.key }, [el("th", { scope: "row", text: f.label }),
				el("td", { "class": "n", "data-value": f.base, text: short(f.base, f.unit) }),
				el("td", { "class": "n", "data-value": f["new"], text: short(f["new"], f.unit) }),
				el("td", { "class": "n" + (d > 0 ? " grew" : d < 0 ? " shrank" : ""), "data-value": d,
					text: signed(d, f.unit) + (f.base && d ? " (" + (d > 0 ? "+" : "") + (100 * d / f.base).toFixed(1) + "%)" : "") })]);
		});
		return el("div", { "class": "tablewrap" }, [el("table", { id: "table-summary" }, [el("thead", {}, [el("tr", {}, [el("th", { text: "" }),
			el("th", { "class": "n", text: "base" }), el("th", { "class": "n", text: "new" }), el("th", { "class": "n", text: "change" })])]),
			el("tbody", {}, rows)])]);
	}

	function gates() {
		var g = D.gates || [];
		if (!g.length)
			return [el("p", { "class": "muted", text: "No gate was asked for (leakanalyze html --help lists them: --fail-on-new-leaks, --max-leak-increase ...)." })];
		var crossed = g.filter(function (x) { return x.crossed; }).length;
		var out = [el("div", { "class": "banner " + (crossed ? "bad" : "good"), id: "gates-result", role: crossed ? "alert" : "status",
			text: crossed ? "FAIL: " + crossed + " of " + g.length + " gates crossed (exit status " + D.exit_status + ")" : "PASS: no gate crossed (exit status 0)" })];
		g.forEach(function (x) {
			var lim = x.limit === null || x.limit === undefined ? "" : " " + x.limit + (x.unit === "percent" ? "%" : "");
			var val = x.value !== undefined ? x.value : "";
			out.push(el("div", { "class": "card", "data-gate": x.name, "data-crossed": x.crossed ? "1" : "0" }, [
				el("div", { "class": x.crossed ? "grew" : "", text: (x.crossed ? "FAIL  " : "pass  ") + "--" + x.name + lim }),
				el("div", { "class": "muted", text: "value: " + (typeof val === "object" ? JSON.stringify(val) : val) + (x.unit ? " " + x.unit : "") }),
				x.stacks && x.stacks.length ? el("ul", {}, x.stacks.map(function (s) {
					return el("li", {}, [stackLabel(s.stack), el("span", { "class": "muted", text: "  " + exact(s.amount) }), stackList(s.stack)]);
				})) : null]));
		});
		return out;
	}

	/* ---- the page ---- */

	function build() {
		var kids = [], f;
		if (D.mode === "diff") {
			kids.push(el("h1", { text: "leakrec comparison: " + argvText(D.base.program) + " \u2192 " + argvText(D["new"].program) }));
			kids.push(el("p", { "class": "muted" }, ["base ", el("code", { text: D.base.trace }), ", new ", el("code", { text: D["new"].trace })]));
			kids = kids.concat(warnings(D.base.diagnostics, "base", D.base.summary), warnings(D["new"].diagnostics, "new", D["new"].summary));
			if (D.options.suppressions)
				kids.push(el("p", { id: "suppressed-note" }, ["Suppressions ", el("code", { text: D.options.suppressions }),
					" removed " + figure(D.base.suppressed.bytes, "bytes") + " from the base run's leaks and " + figure(D["new"].suppressed.bytes, "bytes") + " from the new run's."]));
			kids.push(section("gates", "Gates", gates()));
			kids.push(section("summary-sec", "Summary", [diffSummary()]));
			f = flame();
			kids.push(section("flamegraph", "Differential flamegraph", [f]));
			D.tables.forEach(function (t) { kids.push(table(t)); });
		} else {
			kids.push(el("h1", { text: "leakrec report: " + argvText(D.program) }));
			kids.push(el("p", { "class": "muted" }, ["trace ", el("code", { text: D.trace }), ", pid " + D.program.pid]));
			kids = kids.concat(warnings(D.diagnostics, null, D.summary));
			if (D.options.suppressions)
				kids.push(el("p", { id: "suppressed-note" }, ["Suppressions ", el("code", { text: D.options.suppressions }),
					" removed " + figure(D.suppressed.bytes, "bytes") + " in " + plural(D.suppressed.allocations, "allocation") +
					" from " + plural(D.suppressed.stacks, "stack") + " from the leak figures and the leaked flamegraph."]));
			kids.push(summaryCards());
			kids.push(section("timeline", "Heap over time", [chart()]));
			f = flame();
			kids.push(section("flamegraph", "Flamegraph", [f]));
			D.tables.forEach(function (t) { kids.push(table(t)); });
			kids.push(histogram());
		}
		kids.push(el("footer", {}, [el("div", { text: "Written by " + D.generator + ". Every figure is the analyzer's: " }),
			D.mode === "diff" ? el("code", { text: "leakanalyze diff --json " + D.base.trace + " " + D["new"].trace }) : el("code", { text: commandLine() }),
			el("div", { text: " gives the same figures. The page made no request: every script, style and datum is in this file." })]));
		kids.forEach(function (k) { app.appendChild(k); });
		f.render();
		document.body.setAttribute("data-ready-ms", performance.now().toFixed(1));
		document.body.setAttribute("data-ready", "1");
	}

	try {
		build();
	} catch (e) {
		app.appendChild(el("div", { "class": "banner bad", role: "alert", text: "The report could not be drawn: " + e }));
		throw e;
	}
})();
