// SPDX-License-Identifier: MIT
#include "matopt/bench/synthetic.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "matopt/acquisition/hypervolume.hpp"
#include "matopt/core/error.hpp"

namespace matopt {

namespace {

constexpr double kPi = std::numbers::pi;

// Builds "prefix<k>" by appending (avoids GCC 12's false -Wrestrict on `"lit" + std::to_string()`).
std::string numbered(const char* prefix, int k) {
  std::string s(prefix);
  s += std::to_string(k);
  return s;
}

DesignSpace unit_box(int d, int m) {
  DesignSpaceSpec s;
  for (int i = 0; i < d; ++i) s.process.push_back({numbered("x", i + 1), ParameterKind::Continuous, 0.0, 1.0, false, {}, ""});
  for (int k = 0; k < m; ++k) {
    Objective o;
    o.name = numbered("f", k + 1);
    o.goal = Goal::Minimize;
    s.objectives.push_back(o);
  }
  return DesignSpace(std::move(s));
}

// Exact 2-D hypervolume of a dense sample of a front curve f2 = g(f1), f1 in [0, 1] (minimization).
double curve_hypervolume(const std::function<double(double)>& g, const Eigen::VectorXd& ref, int samples) {
  Eigen::MatrixXd Y(samples, 2);
  for (int i = 0; i < samples; ++i) {
    double f1 = static_cast<double>(i) / (samples - 1);
    Y(i, 0) = f1;
    Y(i, 1) = g(f1);
  }
  return minimization_hypervolume(Y, ref);
}

}  // namespace

Eigen::MatrixXd SyntheticProblem::evaluate_all(const Eigen::MatrixXd& X) const {
  Eigen::MatrixXd Y(X.rows(), num_objectives);
  for (Eigen::Index r = 0; r < X.rows(); ++r) Y.row(r) = evaluate(X.row(r).transpose()).transpose();
  return Y;
}

double minimization_hypervolume(const Eigen::MatrixXd& Y, const Eigen::VectorXd& ref) {
  if (Y.rows() == 0) return 0.0;
  return hypervolume(-Y, -ref);
}

double branin_unit(double x1, double x2) {
  const double u = 15.0 * x1 - 5.0, v = 15.0 * x2;
  const double b = 5.1 / (4.0 * kPi * kPi), c = 5.0 / kPi, t = 1.0 / (8.0 * kPi);
  const double w = v - b * u * u + c * u - 6.0;
  return w * w + 10.0 * (1.0 - t) * std::cos(u) + 10.0;
}

double currin(double x1, double x2) {
  // exp(-1/(2 x2)) -> 0 as x2 -> 0, so the factor tends to 1 there.
  const double f = x2 > 0.0 ? 1.0 - std::exp(-1.0 / (2.0 * x2)) : 1.0;
  const double num = 2300.0 * x1 * x1 * x1 + 1900.0 * x1 * x1 + 2092.0 * x1 + 60.0;
  const double den = 100.0 * x1 * x1 * x1 + 500.0 * x1 * x1 + 4.0 * x1 + 20.0;
  return f * num / den;
}

Eigen::VectorXd dtlz2(const Eigen::VectorXd& x, int m) {
  const auto n = x.size();
  double g = 0.0;
  for (Eigen::Index i = m - 1; i < n; ++i) g += (x[i] - 0.5) * (x[i] - 0.5);
  Eigen::VectorXd f(m);
  for (int k = 0; k < m; ++k) {
    double v = 1.0 + g;
    for (int j = 0; j < m - 1 - k; ++j) v *= std::cos(x[j] * kPi / 2.0);
    if (k > 0) v *= std::sin(x[m - 1 - k] * kPi / 2.0);
    f[k] = v;
  }
  return f;
}

Eigen::VectorXd zdt(const Eigen::VectorXd& x, int which) {
  const auto n = x.size();
  const double f1 = x[0];
  double g = 1.0;
  if (n > 1) g += 9.0 * x.tail(n - 1).sum() / static_cast<double>(n - 1);
  const double r = f1 / g;
  double h;
  switch (which) {
    case 1: h = 1.0 - std::sqrt(r); break;
    case 2: h = 1.0 - r * r; break;
    default: h = 1.0 - std::sqrt(r) - r * std::sin(10.0 * kPi * f1); break;
  }
  Eigen::VectorXd f(2);
  f << f1, g * h;
  return f;
}

std::vector<std::string> synthetic_problem_names() {
  return {"branin-currin", "dtlz2", "dtlz2-m3", "zdt1", "zdt2", "zdt3", "simplex"};
}

SyntheticProblem make_synthetic_problem(const std::string& name) {
  SyntheticProblem p;
  p.name = name;
  if (name == "branin-currin") {
    p.description = "Branin-Currin, d=2, m=2";
    p.space = unit_box(2, 2);
    p.evaluate = [](const Eigen::VectorXd& x) {
      Eigen::VectorXd f(2);
      f << branin_unit(x[0], x[1]), currin(x[0], x[1]);
      return f;
    };
    p.ref_point = Eigen::Vector2d(18.0, 6.0);
    // The front has no closed form: HV of the non-dominated points of a dense 1500 x 1500 grid.
    static const double hv = [] {
      const int n = 1500;
      Eigen::MatrixXd Y(n * n, 2);
      for (int i = 0; i < n; ++i)
        for (int j = 0; j < n; ++j) {
          double a = static_cast<double>(i) / (n - 1), b = static_cast<double>(j) / (n - 1);
          Y(i * n + j, 0) = branin_unit(a, b);
          Y(i * n + j, 1) = currin(a, b);
        }
      return minimization_hypervolume(Y, Eigen::Vector2d(18.0, 6.0));
    }();
    p.max_hypervolume = hv;
    p.max_hypervolume_source = "dense 1500x1500 grid (a lower bound)";
  } else if (name == "dtlz2" || name == "dtlz2-m3") {
    const int m = name == "dtlz2" ? 2 : 3;
    p.description = numbered("DTLZ2, d=6, m=", m);
    p.num_objectives = m;
    p.space = unit_box(6, m);
    p.evaluate = [m](const Eigen::VectorXd& x) { return dtlz2(x, m); };
    p.ref_point = Eigen::VectorXd::Constant(m, 1.1);
    // Front = unit sphere in the positive orthant: HV = r^m - (volume of the unit ball's orthant).
    p.max_hypervolume = m == 2 ? 1.1 * 1.1 - kPi / 4.0 : 1.1 * 1.1 * 1.1 - kPi / 6.0;
    p.max_hypervolume_source = "analytic";
  } else if (name == "zdt1" || name == "zdt2" || name == "zdt3") {
    const int which = name[3] - '0';
    p.description = numbered("ZDT", which) + ", d=6, m=2";
    p.space = unit_box(6, 2);
    p.evaluate = [which](const Eigen::VectorXd& x) { return zdt(x, which); };
    p.ref_point = Eigen::Vector2d(11.0, 11.0);
    if (which == 1) {
      p.max_hypervolume = 121.0 - 1.0 + 2.0 / 3.0;  // 11*11 minus the area under 1 - sqrt(f1)
      p.max_hypervolume_source = "analytic";
    } else if (which == 2) {
      p.max_hypervolume = 121.0 - 1.0 + 1.0 / 3.0;  // 11*11 minus the area under 1 - f1^2
      p.max_hypervolume_source = "analytic";
    } else {
      // Disconnected front: the Pareto set is x2..xd = 0 (g = 1); sample f1 densely.
      static const double hv = curve_hypervolume(
          [](double f1) { return 1.0 - std::sqrt(f1) - f1 * std::sin(10.0 * kPi * f1); }, Eigen::Vector2d(11.0, 11.0), 1000001);
      p.max_hypervolume = hv;
      p.max_hypervolume_source = "dense sampling of the Pareto set (10^6 points)";
    }
  } else if (name == "simplex") {
    // Composition-like: 6 elements, at most 4 present, Ni + Co <= 0.5, Fe <= 0.8. Objectives are squared
    // distances to two feasible anchor compositions with the same 4-element support, so the Pareto set
    // is the segment between them and the front is sqrt(f1) + sqrt(f2) = L.
    p.description = "constrained simplex: Fe-Ni-Co-Cr-Al-Ti, max 4 components, Ni+Co <= 0.5, m=2";
    DesignSpaceSpec s;
    s.composition.elements = {{"Fe", 0.0, 0.8, false}, {"Ni", 0.0, 1.0, false}, {"Co", 0.0, 1.0, false},
                              {"Cr", 0.0, 1.0, false}, {"Al", 0.0, 1.0, false}, {"Ti", 0.0, 1.0, false}};
    s.composition.max_components = 4;
    s.linear_constraints.push_back({{"Ni", "Co"}, {1.0, 1.0}, 0.5, "Ni + Co <= 0.5"});
    for (int k = 0; k < 2; ++k) {
      Objective o;
      o.name = numbered("f", k + 1);
      o.goal = Goal::Minimize;
      s.objectives.push_back(o);
    }
    p.space = DesignSpace(std::move(s));
    Eigen::VectorXd a(6), b(6);
    a << 0.2, 0.3, 0.2, 0.3, 0.0, 0.0;
    b << 0.6, 0.1, 0.1, 0.2, 0.0, 0.0;
    p.evaluate = [a, b](const Eigen::VectorXd& x) {
      Eigen::VectorXd f(2);
      f << (x - a).squaredNorm(), (x - b).squaredNorm();
      return f;
    };
    const double r = 0.6, L2 = (a - b).squaredNorm();
    p.ref_point = Eigen::Vector2d(r, r);
    // HV = r^2 - integral_0^{L^2} (L - sqrt t)^2 dt = r^2 - L^4 / 6 (for L^2 <= r).
    p.max_hypervolume = r * r - L2 * L2 / 6.0;
    p.max_hypervolume_source = "analytic";
  } else {
    std::string list;
    for (const auto& n : synthetic_problem_names()) list += (list.empty() ? "" : ", ") + n;
    throw InvalidArgument("unknown benchmark problem '" + name + "' (expected one of: " + list + ")");
  }
  return p;
}

}  // namespace matopt
