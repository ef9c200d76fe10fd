// SPDX-License-Identifier: MIT
#include "matopt/models/tree_shap.hpp"

#include <cmath>
#include <vector>

#include "core/parallel.hpp"
#include "matopt/core/error.hpp"

namespace matopt {

namespace {

// w[a][b] = a! b! / (a + b + 1)!: the Shapley weight of a coalition of a (with the player's side
// already removed) against b on the other side; built by w[a][b] = w[a-1][b] · a / (a + b + 1).
class Weights {
 public:
  explicit Weights(int depth) : n_(depth + 1), w_(static_cast<std::size_t>(n_ * n_)) {
    for (int a = 0; a < n_; ++a)
      for (int b = 0; b < n_; ++b) {
        if (a == 0 && b == 0) at(0, 0) = 1.0;
        else if (a == 0) at(0, b) = at(0, b - 1) * b / (b + 1);
        else at(a, b) = at(a - 1, b) * a / (a + b + 1);
      }
  }
  double operator()(int a, int b) const { return w_[static_cast<std::size_t>(a * n_ + b)]; }

 private:
  double& at(int a, int b) { return w_[static_cast<std::size_t>(a * n_ + b)]; }
  int n_;
  std::vector<double> w_;
};

// One walk of a tree for one (x, z) pair. side[f] is 0 (f not yet split apart), +1 (taken from x)
// or −1 (taken from z); A and B list the features on each side.
struct Walk {
  const TreeView& t;
  const double* x;
  const double* z;
  const Weights& w;
  double scale;
  double* phi;
  std::vector<signed char>& side;
  std::vector<int> A, B;

  void leaf(double v) {
    const int a = static_cast<int>(A.size()), b = static_cast<int>(B.size());
    if (a + b == 0) return;  // f(x) = f(z) along this path: nothing to attribute
    if (a > 0) {
      const double plus = scale * v * w(a - 1, b);
      for (int f : A) phi[f] += plus;
    }
    if (b > 0) {
      const double minus = scale * v * w(a, b - 1);
      for (int f : B) phi[f] -= minus;
    }
  }

  void go(std::size_t node) {
    const int f = t.feature[node];
    if (f < 0) return leaf(t.value[node]);
    const auto left = static_cast<std::size_t>(t.left[node]);
    const bool xl = x[f] <= t.value[node], zl = z[f] <= t.value[node];
    const std::size_t x_child = xl ? left : left + 1, z_child = zl ? left : left + 1;
    if (xl == zl) return go(x_child);
    if (side[static_cast<std::size_t>(f)] > 0) return go(x_child);  // f already comes from x on this path
    if (side[static_cast<std::size_t>(f)] < 0) return go(z_child);
    side[static_cast<std::size_t>(f)] = 1;
    A.push_back(f);
    go(x_child);
    A.pop_back();
    side[static_cast<std::size_t>(f)] = -1;
    B.push_back(f);
    go(z_child);
    B.pop_back();
    side[static_cast<std::size_t>(f)] = 0;
  }
};

int tree_depth(const TreeView& t) {
  std::vector<int> depth(t.feature.size(), 0);
  int deepest = 0;
  for (std::size_t k = 0; k < t.feature.size(); ++k) {
    deepest = std::max(deepest, depth[k]);
    if (t.feature[k] < 0) continue;
    const auto l = static_cast<std::size_t>(t.left[k]);
    if (l + 1 >= t.feature.size() || l <= k) throw DataError("tree_shap: malformed tree (child before parent or past the end)");
    depth[l] = depth[l + 1] = depth[k] + 1;
  }
  return deepest;
}

}  // namespace

void add_tree_shap(const TreeView& tree, const Eigen::MatrixXd& X, const Eigen::MatrixXd& background, double scale,
                   Eigen::MatrixXd& phi) {
  if (tree.feature.empty()) return;
  if (background.rows() == 0) throw InvalidArgument("tree_shap: no background rows");
  if (background.cols() != X.cols() || phi.rows() != X.rows() || phi.cols() != X.cols())
    throw InvalidArgument("tree_shap: X, background and phi must have the same columns");
  const Weights w(tree_depth(tree) + 1);
  // Row-major copies so a walk reads one row contiguously.
  using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const RowMajor xr = X, zr = background;
  const double per_z = scale / static_cast<double>(background.rows());
  detail::parallel_chunks(static_cast<std::size_t>(X.rows()), 0, 16, [&](std::size_t b, std::size_t e) {
    std::vector<signed char> side(static_cast<std::size_t>(X.cols()), 0);
    std::vector<double> row(static_cast<std::size_t>(X.cols()));
    for (std::size_t i = b; i < e; ++i) {
      std::fill(row.begin(), row.end(), 0.0);
      for (Eigen::Index j = 0; j < zr.rows(); ++j) {
        Walk walk{tree, xr.row(static_cast<Eigen::Index>(i)).data(), zr.row(j).data(), w, per_z, row.data(), side, {}, {}};
        walk.go(0);
      }
      for (Eigen::Index c = 0; c < X.cols(); ++c) phi(static_cast<Eigen::Index>(i), c) += row[static_cast<std::size_t>(c)];
    }
  });
}

Eigen::VectorXd brute_force_shapley(const std::function<double(const Eigen::VectorXd&)>& f, const Eigen::VectorXd& x,
                                    const Eigen::MatrixXd& background) {
  const auto d = static_cast<int>(x.size());
  if (d > 16) throw InvalidArgument("brute_force_shapley: at most 16 features");
  const std::size_t subsets = std::size_t{1} << d;
  std::vector<double> v(subsets, 0.0);
  for (std::size_t s = 0; s < subsets; ++s) {
    for (Eigen::Index j = 0; j < background.rows(); ++j) {
      Eigen::VectorXd p = background.row(j).transpose();
      for (int k = 0; k < d; ++k)
        if (s >> k & 1u) p[k] = x[k];
      v[s] += f(p);
    }
    v[s] /= static_cast<double>(background.rows());
  }
  std::vector<double> fact(static_cast<std::size_t>(d) + 1, 1.0);
  for (int k = 1; k <= d; ++k) fact[static_cast<std::size_t>(k)] = fact[static_cast<std::size_t>(k) - 1] * k;
  Eigen::VectorXd phi = Eigen::VectorXd::Zero(d);
  for (int i = 0; i < d; ++i)
    for (std::size_t s = 0; s < subsets; ++s) {
      if (s >> i & 1u) continue;
      const int size = __builtin_popcountll(s);
      const double weight = fact[static_cast<std::size_t>(size)] * fact[static_cast<std::size_t>(d - size - 1)] / fact[static_cast<std::size_t>(d)];
      phi[i] += weight * (v[s | (std::size_t{1} << i)] - v[s]);
    }
  return phi;
}

}  // namespace matopt
