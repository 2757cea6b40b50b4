/*
 * flame.js: the script of leakanalyze's SVG flamegraphs (analyzer/svg.c writes the frames).
 *
 * Each frame is <g class="f"> with data-x, data-w (its place at full view, in pixels), data-d
 * (its depth), data-v (its figure), data-b (the base run's, in a differential graph) and data-n
 * (its name).  Click a frame to zoom to it (its callers stay, full width), "Reset zoom" or Escape
 * to go back; "Search" (or Ctrl+F, or /) asks for a regular expression, highlights the frames
 * whose name matches and shows their total (frames under a matching frame are counted once) and
 * its share.  Hovering a frame shows its title on the details line.
 */
(function () {
	"use strict";
	var svg = document.documentElement;
	var W = parseFloat(svg.getAttribute("width"));
	var total = parseFloat(svg.getAttribute("data-total")) || 0;
	var unit = svg.getAttribute("data-unit");
	var frames = Array.prototype.slice.call(document.querySelectorAll("g.f"));
	var details = document.getElementById("details");
	var unzoom = document.getElementById("unzoom");
	var matched = document.getElementById("matched");
	var CHAR_W = 7;

	function fig(v) {
		return v + " " + (unit === "bytes" ? (v === 1 ? "byte" : "bytes") : (v === 1 ? "allocation" : "allocations"));
	}

	function num(g, a) { return parseFloat(g.getAttribute(a)); }

	/* Writes a label that fits width w. */
	function label(g, w) {
		var t = g.querySelector("text"), name = g.getAttribute("data-n");
		var fit = w > 3 * CHAR_W ? Math.floor((w - 6) / CHAR_W) : 0;
		t.textContent = fit >= name.length ? name : fit >= 3 ? name.slice(0, fit - 2) + ".." : "";
	}

	/* Places g at x, width w (hidden when w is 0). */
	function place(g, x, w) {
		var r = g.querySelector("rect"), t = g.querySelector("text");
		g.style.display = w > 0 ? "" : "none";
		r.setAttribute("x", x.toFixed(3));
		r.setAttribute("width", w.toFixed(3));
		t.setAttribute("x", (x + 3).toFixed(3));
		label(g, w);
	}

	function zoom(target) {
		var zx = num(target, "data-x"), zw = num(target, "data-w"), zd = num(target, "data-d");
		var scale = W / zw;
		frames.forEach(function (g) {
			var x = num(g, "data-x"), w = num(g, "data-w"), d = num(g, "data-d");
			var inside = x >= zx - 1e-6 && x + w <= zx + zw + 1e-6;
			var around = d < zd && x <= zx + 1e-6 && x + w >= zx + zw - 1e-6;
			g.classList.toggle("dim", around);
			if (around)
				place(g, 0, W);
			else if (inside && d >= zd)
				place(g, (x - zx) * scale, w * scale);
			else
				place(g, 0, 0);
		});
		unzoom.style.opacity = "1";
	}

	function reset() {
		frames.forEach(function (g) {
			g.classList.remove("dim");
			place(g, num(g, "data-x"), num(g, "data-w"));
		});
		unzoom.style.opacity = "0";
	}

	function search(re) {
		var hits = [];
		frames.forEach(function (g) {
			var hit = !!re && re.test(g.getAttribute("data-n"));
			g.classList.toggle("hit", hit);
			if (hit)
				hits.push(g);
		});
		/* a frame under another matching frame is counted in its caller's figure */
		var sum = 0;
		hits.forEach(function (g) {
			var x = num(g, "data-x"), w = num(g, "data-w"), d = num(g, "data-d");
			var covered = hits.some(function (h) {
				return h !== g && num(h, "data-d") < d && num(h, "data-x") <= x + 1e-6 &&
					num(h, "data-x") + num(h, "data-w") >= x + w - 1e-6;
			});
			if (!covered)
				sum += num(g, "data-v");
		});
		matched.textContent = re ? "Matched: " + fig(sum) + " (" +
			(total ? (100 * sum / total).toFixed(2) : "0.00") + "%)" : " ";
	}

	function ask() {
		var s = window.prompt("Search for (regular expression):", "");
		if (s === null)
			return;
		if (s === "") {
			search(null);
			return;
		}
		try {
			search(new RegExp(s));
		} catch (e) {
			matched.textContent = "Not a regular expression: " + s;
		}
	}

	frames.forEach(function (g) {
		g.addEventListener("click", function () { zoom(g); });
		g.addEventListener("mouseover", function () {
			details.textContent = g.querySelector("title").textContent.replace(/\n/g, "  ");
		});
		g.addEventListener("mouseout", function () { details.textContent = " "; });
	});
	unzoom.addEventListener("click", reset);
	document.getElementById("search").addEventListener("click", ask);
	window.addEventListener("keydown", function (e) {
		if (e.key === "Escape")
			reset();
		else if ((e.key === "f" && (e.ctrlKey || e.metaKey)) || e.key === "/") {
			e.preventDefault();
			ask();
		}
	});
	/* for tests and other scripts: search without a prompt */
	svg.leakrecSearch = function (s) { search(s ? new RegExp(s) : null); return matched.textContent; };
})();
