// SPDX-License-Identifier: MIT
// A small SVG plotter for the campaign report: scatter points, error bars, lines, axes with ticks.
#pragma once

#include <string>
#include <vector>

namespace matopt::campaign_detail {

struct SvgSeries {
  std::string label;
  std::string color = "#1f77b4";
  std::vector<double> x, y;
  std::vector<double> yerr;   ///< optional symmetric error bars (same size as y)
  std::vector<double> xerr;   ///< optional
  bool points = true;
  bool line = false;
  bool step = false;          ///< draw as a staircase (best so far)
  bool dashed = false;
  bool hollow = false;        ///< open markers
  double radius = 3.5;
};

struct SvgPlot {
  std::string title, xlabel, ylabel;
  int width = 520, height = 380;
  std::vector<SvgSeries> series;
  bool diagonal = false;  ///< draw y = x (parity / calibration plots)
  bool equal_ranges = false;  ///< same range on both axes
  /// Fixed axis ranges (NaN = from the data).
  double xmin, xmax, ymin, ymax;
  SvgPlot();
  std::string render() const;
};

/// @brief Horizontal bars, one per label (top to bottom in the given order), each with a ± error
/// whisker when `errors` is non-empty; values below 0 are drawn as 0-length bars.
std::string svg_bars(const std::string& title, const std::string& xlabel, const std::vector<std::string>& labels,
                     const std::vector<double>& values, const std::vector<double>& errors);

/// Escapes &, <, >, " for HTML/SVG text.
std::string xml_escape(const std::string& s);

}  // namespace matopt::campaign_detail
