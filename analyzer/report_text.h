/*
 * report_text: the text report of a replayed trace (prefix report_text_), written from the
 * report model (report.h).
 */
#ifndef LEAKREC_REPORT_TEXT_H
#define LEAKREC_REPORT_TEXT_H

#include <stdio.h>

#include "report.h"

/* Writes the text report to f.  Returns 0, REPORT_ENOMEM or REPORT_EIO. */
int report_text_write(report_ctx *rc, FILE *f);

/* Formats into buf (n bytes, cut to fit) what an attached trace (replay_header.attached: leakrec
 * -p) covers, without a label or a final period: "recorded from 2026-12-02 05:40:01 UTC for
 * 2.000 s after attaching to a running process (leakrec -p); blocks allocated before are unknown
 * (N frees of them not counted); leaks are blocks allocated while attached and still live at
 * detach", N the replay's unmatched frees (the time is left out when the header has none).  The
 * text report's `attached` line, and the notes of check and diff.  rp is borrowed.  Returns 0,
 * or -1 when the trace is not attached (buf is then ""). */
int report_text_attached(char *buf, size_t n, const replay_ctx *rp);

#endif
