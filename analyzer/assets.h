/*
 * assets: the browser code of the HTML report and of the SVG flamegraphs, built into the
 * program from analyzer/web/ (prefix assets_).  Each is a NUL-terminated string in read-only
 * memory, written into every page as it is: no file is read at run time.
 *
 *   assets_report_css    analyzer/web/report.css   the page's style sheet (light and dark)
 *   assets_report_js     analyzer/web/report.js    the page's script (charts, flamegraph, tables)
 *   assets_flame_svg_js  analyzer/web/flame.js     the SVG flamegraph's script (zoom, search)
 */
#ifndef LEAKREC_ASSETS_H
#define LEAKREC_ASSETS_H

extern const char assets_report_css[];
extern const char assets_report_js[];
extern const char assets_flame_svg_js[];

#endif
