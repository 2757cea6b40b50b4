/*
 * html_check.js: drives headless Chromium (playwright-core) over a page that leakanalyze wrote
 * and prints what it saw as one JSON object; tests/e2e/test_html.py checks it against the
 * figures of leakanalyze --json.
 *
 *   node html_check.js NPM_DIR MODE PAGE SHOTS_DIR [ARG]
 *
 * NPM_DIR holds node_modules/playwright-core.  MODE: "report" (every check of the report page;
 * ARG: a function name to hover and search), "diff" (the comparison page; ARG: the function of
 * the new leak), "svg" (an SVG flamegraph; ARG: a function to search), "timing" (time to
 * interactive only), "shots" (screenshots for docs/img: light, dark, phone).  Every mode
 * collects console errors, page errors and requests to anything but the file itself.  On an
 * exception a screenshot is saved as SHOTS_DIR/failure-MODE.png and the exit status is 1.
 */
"use strict";
const fs = require("fs");
const os = require("os");
const path = require("path");

const [npmDir, mode, pagePath, shots, arg] = process.argv.slice(2);
const { chromium } = require(path.join(npmDir, "node_modules", "playwright-core"));

const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
	"--disable-background-networking", "--disable-component-update", "--disable-sync"];

async function open(ctx, url, out) {
	const page = await ctx.newPage();
	page.on("console", (m) => { if (m.type() === "error") out.console_errors.push(m.text()); });
	page.on("pageerror", (e) => out.console_errors.push(String(e)));
	page.on("request", (r) => { if (r.url() !== url) out.requests.push(r.url()); });
	const t0 = Date.now();
	await page.goto(url, { waitUntil: "load" });
	out.load_ms = Date.now() - t0;
	return page;
}

/* The flamegraph's frames as drawn: name, figure, width in pixels, depth, colour. */
async function frames(page) {
	return page.$$eval("#flame .fr", (ds) => ds.map((d) => ({
		fn: d.dataset.fn, value: Number(d.dataset.value), base: d.dataset.base === undefined ? null : Number(d.dataset.base),
		depth: Number(d.dataset.depth), width: d.getBoundingClientRect().width,
		color: getComputedStyle(d).backgroundColor, hit: d.classList.contains("hit"),
	})));
}

async function hoverFrame(page, fn) {
	const d = page.locator(`#flame .fr[data-fn="${fn}"]`).first();
	await d.hover();
	return { tooltip: await page.locator(".tip").innerText(), value: Number(await d.getAttribute("data-value")) };
}

async function report(page, out) {
	await page.waitForSelector("body[data-ready]");
	out.ready_ms = Number(await page.getAttribute("body", "data-ready-ms"));
	out.chart_max = Number(await page.getAttribute("#chart", "data-max"));
	out.chart_line_max = Number(await page.getAttribute("#chart path.heap", "data-max"));
	out.summary = await page.$$eval(".card[data-key]", (cs) => Object.fromEntries(cs.map((c) => [c.dataset.key, Number(c.dataset.value)])));
	out.incomplete_banner = (await page.locator("#incomplete").count()) > 0;
	out.kinds = {};
	const kinds = await page.$$eval("#flame-kinds button", (bs) => bs.map((b) => b.dataset.kind));
	for (const k of kinds) {
		await page.click(`#flame-kinds button[data-kind="${k}"]`);
		out.kinds[k] = { total: Number(await page.getAttribute("#flame", "data-total")), frames: await frames(page),
			flame_width: (await page.locator("#flame").boundingBox()).width };
	}
	await page.click('#flame-kinds button[data-kind="leaked"]');
	out.hover = await hoverFrame(page, arg);
	await page.fill("#flame-search", arg);
	out.search = { text: await page.locator("#flame-search-result").innerText(),
		value: Number(await page.getAttribute("#flame-search-result", "data-value")),
		hits: await page.locator("#flame .fr.hit").count(),
		hit_names: await page.$$eval("#flame .fr.hit", (ds) => ds.map((d) => d.dataset.fn)) };
	await page.fill("#flame-search", "");
	/* keyboard: focus the flamegraph, go down to a frame, zoom with Enter */
	await page.focus("#flame");
	await page.keyboard.press("ArrowDown");
	await page.keyboard.press("Enter");
	out.keyboard_zoom = await page.locator("#flame .fr.dim").count();
	await page.keyboard.press("Escape");
	/* bottom-up: the allocating function is right under the root */
	await page.click("#flame-inverted");
	out.bottom_up = (await frames(page)).filter((f) => f.depth === 1).map((f) => f.fn);
	await page.click("#flame-inverted");
	/* the chart: hover its middle, drag across it */
	const box = await page.locator("#chart svg").boundingBox();
	await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.5);
	out.chart_tooltip = await page.locator(".tip").innerText();
	await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.5);
	await page.mouse.down();
	await page.mouse.move(box.x + box.width * 0.7, box.y + box.height * 0.5, { steps: 5 });
	await page.mouse.up();
	out.range = await page.locator("#range-cmd").innerText();
	/* a table row opens its stack */
	const btn = page.locator("#table-leaks .fnbtn").first();
	await btn.click();
	out.row_stack = await page.locator("#table-leaks tr.stackrow").first().innerText();
	out.tables = await page.$$eval("table[id^=table-]", (ts) => ts.map((t) => t.id));
	await page.screenshot({ path: path.join(shots, "report-test.png"), fullPage: true });
}

async function diff(page, out) {
	await page.waitForSelector("body[data-ready]");
	out.gates = await page.locator("#gates-result").innerText().catch(() => "");
	out.frames = await frames(page);
	out.hover = await hoverFrame(page, arg);
	out.changed = await page.$$eval("#table-changed tbody tr[data-row]", (rs) => rs.map((r) => r.innerText));
	await page.screenshot({ path: path.join(shots, "diff-test.png"), fullPage: true });
}

async function svg(page, out) {
	out.matched = await page.evaluate((s) => document.documentElement.leakrecSearch(s), arg);
	out.hits = await page.locator("g.f.hit").count();
	await page.locator(`g.f[data-n="${arg}"]`).first().click();
	out.zoomed_width = Number(await page.locator(`g.f[data-n="${arg}"] rect`).first().getAttribute("width"));
}

async function docShots(ctx, url, out) {
	for (const [name, opts] of [["report-light", { width: 1280, height: 800 }], ["report-dark", { width: 1280, height: 800, dark: true }],
		["report-phone", { width: 390, height: 844 }]]) {
		const page = await open(ctx, url, out);
		await page.emulateMedia({ colorScheme: opts.dark ? "dark" : "light" });
		await page.setViewportSize({ width: opts.width, height: opts.height });
		await page.waitForSelector("body[data-ready]");
		if (arg) {
			const d = page.locator(`#flame .fr[data-fn="${arg}"]`).first();
			if (await d.count())
				await d.hover();
		}
		await page.screenshot({ path: path.join(shots, name + ".png"), fullPage: name !== "report-phone" });
		await page.close();
	}
	const page = await open(ctx, url, out);
	await page.setViewportSize({ width: 1280, height: 800 });
	await page.waitForSelector("body[data-ready]");
	await page.locator("#flamegraph").screenshot({ path: path.join(shots, "flamegraph.png") });
	await page.locator("#timeline").screenshot({ path: path.join(shots, "timeline.png") });
}

(async () => {
	const out = { console_errors: [], requests: [] };
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), "leakrec-chromium-"));
	const ctx = await chromium.launchPersistentContext(dir, { executablePath: "/usr/bin/chromium", headless: true,
		args: ARGS, viewport: { width: 1280, height: 800 } });
	const url = "file://" + path.resolve(pagePath);
	let page = null;
	try {
		if (mode === "shots") {
			await docShots(ctx, url, out);
		} else {
			page = await open(ctx, url, out);
			if (mode === "report")
				await report(page, out);
			else if (mode === "diff")
				await diff(page, out);
			else if (mode === "svg")
				await svg(page, out);
			else {
				await page.waitForSelector("body[data-ready]");
				out.ready_ms = Number(await page.getAttribute("body", "data-ready-ms"));
			}
		}
	} catch (e) {
		out.error = String(e && e.stack || e);
		if (page)
			await page.screenshot({ path: path.join(shots, "failure-" + mode + ".png"), fullPage: true }).catch(() => {});
	}
	await ctx.close();
	fs.rmSync(dir, { recursive: true, force: true });
	process.stdout.write(JSON.stringify(out) + "\n");
	process.exit(out.error ? 1 : 0);
})();
