// SPDX-License-Identifier: MIT
#include "campaign/svg.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>

namespace matopt::campaign_detail {

namespace {

std::string fmt(double v, int prec = 4) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%.*g", prec, v);
  return buf;
}

std::string px(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f", v);
  return buf;
}

/// "Nice" tick positions covering [lo, hi] (1-2-5 steps).
std::vector<double> ticks(double lo, double hi, int target = 5) {
  std::vector<double> t;
  if (!(hi > lo)) return {lo};
  const double raw = (hi - lo) / target;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * mag >= raw) {
      step = m * mag;
      break;
    }
  for (double v = std::ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) t.push_back(std::abs(v) < step * 1e-9 ? 0.0 : v);
  return t;
}

}  // namespace

std::string svg_bars(const std::string& title, const std::string& xlabel, const std::vector<std::string>& labels,
                     const std::vector<double>& values, const std::vector<double>& errors) {
  const int row = 18, left = 150, width = 520, top = 30;
  const int plot_w = width - left - 20;
  const int height = top + row * static_cast<int>(labels.size()) + 36;
  double hi = 0;
  for (std::size_t i = 0; i < values.size(); ++i)
    hi = std::max(hi, values[i] + (errors.empty() ? 0.0 : errors[i]));
  if (!(hi > 0)) hi = 1;
  std::ostringstream o;
  o << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height << "\" viewBox=\"0 0 "
    << width << ' ' << height << "\" font-family=\"sans-serif\" font-size=\"11\">\n"
    << "<text x=\"" << width / 2 << "\" y=\"16\" text-anchor=\"middle\" font-size=\"13\">" << xml_escape(title) << "</text>\n";
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const int y = top + row * static_cast<int>(i);
    const double v = std::max(0.0, values[i]);
    const double w = plot_w * v / hi;
    char buf[256];
    std::snprintf(buf, sizeof buf, "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"#4c78a8\"/>\n", left, y + 3, w, row - 6);
    o << "<text x=\"" << left - 6 << "\" y=\"" << y + row - 5 << "\" text-anchor=\"end\">" << xml_escape(labels[i]) << "</text>\n" << buf;
    if (!errors.empty() && errors[i] > 0) {
      const double a = left + plot_w * std::max(0.0, values[i] - errors[i]) / hi, b = left + plot_w * (values[i] + errors[i]) / hi;
      std::snprintf(buf, sizeof buf, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"#333\"/>\n", a, b, y + row / 2, y + row / 2);
      o << buf;
    }
  }
  const int axis_y = top + row * static_cast<int>(labels.size()) + 4;
  o << "<line x1=\"" << left << "\" x2=\"" << left + plot_w << "\" y1=\"" << axis_y << "\" y2=\"" << axis_y << "\" stroke=\"#333\"/>\n";
  char tick[64];
  std::snprintf(tick, sizeof tick, "%.3g", hi);
  o << "<text x=\"" << left << "\" y=\"" << axis_y + 14 << "\">0</text><text x=\"" << left + plot_w << "\" y=\"" << axis_y + 14
    << "\" text-anchor=\"end\">" << tick << "</text>\n<text x=\"" << left + plot_w / 2 << "\" y=\"" << axis_y + 28
    << "\" text-anchor=\"middle\">" << xml_escape(xlabel) << "</text>\n</svg>\n";
  return o.str();
}

std::string xml_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      default: o += c;
    }
  }
  return o;
}

SvgPlot::SvgPlot() {
  xmin = xmax = ymin = ymax = std::numeric_limits<double>::quiet_NaN();
}

std::string SvgPlot::render() const {
  const double ml = 64, mr = 16, mt = 30, mb = 46;
  const double pw = width - ml - mr, ph = height - mt - mb;
  double x0 = std::numeric_limits<double>::infinity(), x1 = -x0, y0 = x0, y1 = -x0;
  for (const auto& s : series)
    for (std::size_t i = 0; i < s.x.size(); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
      const double ye = i < s.yerr.size() && std::isfinite(s.yerr[i]) ? s.yerr[i] : 0.0;
      const double xe = i < s.xerr.size() && std::isfinite(s.xerr[i]) ? s.xerr[i] : 0.0;
      x0 = std::min(x0, s.x[i] - xe);
      x1 = std::max(x1, s.x[i] + xe);
      y0 = std::min(y0, s.y[i] - ye);
      y1 = std::max(y1, s.y[i] + ye);
    }
  if (!std::isfinite(x0)) { x0 = 0; x1 = 1; y0 = 0; y1 = 1; }
  if (equal_ranges) {
    x0 = y0 = std::min(x0, y0);
    x1 = y1 = std::max(x1, y1);
  }
  auto pad = [](double& lo, double& hi) {
    const double r = hi - lo;
    const double p = r > 0 ? 0.05 * r : std::max(1e-9, 0.1 * std::abs(lo) + 0.5);
    lo -= p;
    hi += p;
  };
  pad(x0, x1);
  pad(y0, y1);
  if (std::isfinite(xmin)) x0 = xmin;
  if (std::isfinite(xmax)) x1 = xmax;
  if (std::isfinite(ymin)) y0 = ymin;
  if (std::isfinite(ymax)) y1 = ymax;
  auto X = [&](double v) { return ml + (v - x0) / (x1 - x0) * pw; };
  auto Y = [&](double v) { return mt + ph - (v - y0) / (y1 - y0) * ph; };

  std::ostringstream o;
  o << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height
    << "\" viewBox=\"0 0 " << width << " " << height << "\" font-family=\"sans-serif\" font-size=\"11\">\n";
  o << "<rect x=\"0\" y=\"0\" width=\"" << width << "\" height=\"" << height << "\" fill=\"white\"/>\n";
  o << "<text x=\"" << px(width / 2.0) << "\" y=\"18\" text-anchor=\"middle\" font-size=\"13\">" << xml_escape(title) << "</text>\n";
  o << "<rect x=\"" << px(ml) << "\" y=\"" << px(mt) << "\" width=\"" << px(pw) << "\" height=\"" << px(ph)
    << "\" fill=\"none\" stroke=\"#444\"/>\n";
  for (double t : ticks(x0, x1)) {
    o << "<line x1=\"" << px(X(t)) << "\" y1=\"" << px(mt + ph) << "\" x2=\"" << px(X(t)) << "\" y2=\"" << px(mt + ph + 4)
      << "\" stroke=\"#444\"/><text x=\"" << px(X(t)) << "\" y=\"" << px(mt + ph + 16) << "\" text-anchor=\"middle\">"
      << fmt(t) << "</text>\n";
    o << "<line x1=\"" << px(X(t)) << "\" y1=\"" << px(mt) << "\" x2=\"" << px(X(t)) << "\" y2=\"" << px(mt + ph)
      << "\" stroke=\"#eee\"/>\n";
  }
  for (double t : ticks(y0, y1)) {
    o << "<line x1=\"" << px(ml - 4) << "\" y1=\"" << px(Y(t)) << "\" x2=\"" << px(ml) << "\" y2=\"" << px(Y(t))
      << "\" stroke=\"#444\"/><text x=\"" << px(ml - 6) << "\" y=\"" << px(Y(t) + 4) << "\" text-anchor=\"end\">"
      << fmt(t) << "</text>\n";
    o << "<line x1=\"" << px(ml) << "\" y1=\"" << px(Y(t)) << "\" x2=\"" << px(ml + pw) << "\" y2=\"" << px(Y(t))
      << "\" stroke=\"#eee\"/>\n";
  }
  o << "<text x=\"" << px(ml + pw / 2) << "\" y=\"" << px(height - 8.0) << "\" text-anchor=\"middle\">" << xml_escape(xlabel)
    << "</text>\n";
  o << "<text transform=\"translate(14," << px(mt + ph / 2) << ") rotate(-90)\" text-anchor=\"middle\">" << xml_escape(ylabel)
    << "</text>\n";
  if (diagonal) {
    const double a = std::max(x0, y0), b = std::min(x1, y1);
    if (b > a)
      o << "<line x1=\"" << px(X(a)) << "\" y1=\"" << px(Y(a)) << "\" x2=\"" << px(X(b)) << "\" y2=\"" << px(Y(b))
        << "\" stroke=\"#999\" stroke-dasharray=\"4 3\"/>\n";
  }
  int legend_row = 0;
  for (const auto& s : series) {
    std::vector<std::pair<double, double>> pts;
    for (std::size_t i = 0; i < s.x.size(); ++i)
      if (std::isfinite(s.x[i]) && std::isfinite(s.y[i])) pts.emplace_back(s.x[i], s.y[i]);
    if (s.line && pts.size() > 1) {
      o << "<polyline fill=\"none\" stroke=\"" << s.color << "\" stroke-width=\"1.6\""
        << (s.dashed ? " stroke-dasharray=\"5 3\"" : "") << " points=\"";
      for (std::size_t i = 0; i < pts.size(); ++i) {
        if (s.step && i > 0) o << px(X(pts[i].first)) << "," << px(Y(pts[i - 1].second)) << " ";
        o << px(X(pts[i].first)) << "," << px(Y(pts[i].second)) << " ";
      }
      o << "\"/>\n";
    }
    for (std::size_t i = 0; i < s.x.size(); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
      if (i < s.yerr.size() && std::isfinite(s.yerr[i]) && s.yerr[i] > 0)
        o << "<line x1=\"" << px(X(s.x[i])) << "\" y1=\"" << px(Y(s.y[i] - s.yerr[i])) << "\" x2=\"" << px(X(s.x[i]))
          << "\" y2=\"" << px(Y(s.y[i] + s.yerr[i])) << "\" stroke=\"" << s.color << "\" stroke-opacity=\"0.6\"/>\n";
      if (i < s.xerr.size() && std::isfinite(s.xerr[i]) && s.xerr[i] > 0)
        o << "<line x1=\"" << px(X(s.x[i] - s.xerr[i])) << "\" y1=\"" << px(Y(s.y[i])) << "\" x2=\"" << px(X(s.x[i] + s.xerr[i]))
          << "\" y2=\"" << px(Y(s.y[i])) << "\" stroke=\"" << s.color << "\" stroke-opacity=\"0.6\"/>\n";
      if (s.points)
        o << "<circle cx=\"" << px(X(s.x[i])) << "\" cy=\"" << px(Y(s.y[i])) << "\" r=\"" << px(s.radius) << "\" "
          << (s.hollow ? "fill=\"white\" stroke=\"" + s.color + "\" stroke-width=\"1.5\"" : "fill=\"" + s.color + "\" fill-opacity=\"0.75\"")
          << "/>\n";
    }
    if (!s.label.empty()) {
      const double ly = mt + 10 + 14 * legend_row++;
      o << "<circle cx=\"" << px(ml + 10) << "\" cy=\"" << px(ly) << "\" r=\"4\" fill=\"" << s.color << "\"/><text x=\""
        << px(ml + 18) << "\" y=\"" << px(ly + 4) << "\">" << xml_escape(s.label) << "</text>\n";
    }
  }
  o << "</svg>\n";
  return o.str();
}

}  // namespace matopt::campaign_detail
