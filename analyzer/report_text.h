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

#endif
