#pragma once
// report.html: one self-contained page (inline CSS and SVG, sample grids as data: URIs, no
// script) with the models, the runs that are not complete, the summary tables, one chart per
// metric (<svg data-metric="COLUMN" data-kind="metric">), one per adaptive parameter
// (data-kind="parameter") and the last sample grid per model.
#include <string>

#include "report/aggregate.h"

namespace aafgan::report {

std::string render_html(const Experiment& ex, const Aggregate& a, const ReportOptions& opt);

}  // namespace aafgan::report
