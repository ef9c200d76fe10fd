// SPDX-License-Identifier: MIT
// Random-forest regression. Each column is cut once into quantile bins (at most 256, so a bin index is
// one byte); a node's best split on a column is then found from a histogram of its rows over the
// bins, O(rows) instead of the O(rows log rows) of sorting at every node. With random splits
// (extremely randomized trees) a column's one threshold is drawn from the node's range and no bins
// are made. Trees are built independently from their own seeds, so the forest does not depend on
// the thread count.
#include "matopt/models/random_forest.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "core/parallel.hpp"
#include "models/binning.hpp"
#include "models/ensemble_samples.hpp"
#include "models/row_blocks.hpp"
#include "models/input_checks.hpp"
#include "models/options_json.hpp"
#include "matopt/core/archive.hpp"
#include "matopt/core/error.hpp"
#include "matopt/core/log.hpp"
#include "matopt/core/rng.hpp"

namespace matopt {

using Eigen::Index;
using Eigen::MatrixXd;
using Eigen::VectorXd;

using detail::Binned;
using detail::bin_columns;

namespace {

// One tree as flat node arrays; node 0 is the root. An internal node k has feature[k] >= 0, its
// children at left[k] and left[k] + 1, and value[k] its threshold (x <= threshold goes left); a leaf
// has feature[k] = -1, value[k] its prediction and leaf_variance[k] its training targets' variance.
// Children always come after their parent, which load() checks, so a walk always ends.
struct Tree {
  std::vector<std::int32_t> feature, left;
  std::vector<double> value, leaf_variance;

  std::size_t leaf(const MatrixXd& X, Index row) const {
    std::size_t node = 0;
    while (feature[node] >= 0) {
      const auto next = static_cast<std::size_t>(left[node]);
      node = X(row, feature[node]) <= value[node] ? next : next + 1;
    }
    return node;
  }
};

struct BuildResult {
  Tree tree;
  std::vector<double> importance;  // split sum-of-squares reduction per column
};

// Grows one tree on `rows` (indices into the training rows, repeated for bootstrap copies).
// With random splits (extremely randomized trees) the thresholds come from X itself and B is unused.
BuildResult grow_tree(const MatrixXd& X, const Binned& B, const VectorXd& y, std::vector<Index> rows,
                      const ForestOptions& o, Rng& rng) {
  const Index d = X.cols();
  const bool random_split = o.split == "random";
  const Index mtry = std::max<Index>(1, std::llround(o.max_features * static_cast<double>(d)));
  const Index min_leaf = o.min_samples_leaf;
  BuildResult out;
  out.importance.assign(static_cast<std::size_t>(d), 0.0);
  Tree& t = out.tree;
  std::vector<Index> order(static_cast<std::size_t>(d));
  std::iota(order.begin(), order.end(), Index{0});
  std::vector<double> hist_sum(256, 0.0), dev;
  std::vector<Index> hist_count(256, 0);
  std::vector<int> touched;
  touched.reserve(256);

  struct Pending {
    std::size_t node, begin, end;
    int depth;
  };
  auto add_nodes = [&](std::size_t count) {
    const std::size_t first = t.feature.size();
    t.feature.resize(first + count, -1);
    t.left.resize(first + count, -1);
    t.value.resize(first + count, 0.0);
    t.leaf_variance.resize(first + count, 0.0);
    return first;
  };
  std::vector<Pending> stack{{add_nodes(1), 0, rows.size(), 0}};
  while (!stack.empty()) {
    const Pending nd = stack.back();
    stack.pop_back();
    const std::size_t k = nd.node;
    const Index count = static_cast<Index>(nd.end - nd.begin);
    double sum = 0, ymin = y[rows[nd.begin]], ymax = ymin;
    for (std::size_t i = nd.begin; i < nd.end; ++i) {
      const double v = y[rows[i]];
      sum += v;
      ymin = std::min(ymin, v);
      ymax = std::max(ymax, v);
    }
    // The leaf value lies within its targets (a pure leaf of 0/1 labels is exactly 0 or 1), so a
    // forest's mean of a 0/1 label is a probability without clipping.
    const double mean = std::clamp(sum / static_cast<double>(count), ymin, ymax);
    // Deviations from the node's own mean keep the split sums accurate deep in the tree, where the
    // node mean dwarfs its spread.
    dev.resize(static_cast<std::size_t>(count));
    double ss = 0, dev_sum = 0;
    for (std::size_t i = nd.begin; i < nd.end; ++i) {
      const double e = y[rows[i]] - mean;
      dev[i - nd.begin] = e;
      ss += e * e;
      dev_sum += e;
    }
    t.value[k] = mean;
    t.leaf_variance[k] = ss / static_cast<double>(count);
    if (count < 2 * min_leaf || (o.max_depth > 0 && nd.depth >= o.max_depth) || ymin == ymax) continue;

    // Best split over up to mtry columns that vary within the node, drawn without replacement.
    // A best cut must remove a non-negligible part of the node's spread. A random cut need not: as
    // in Geurts et al., a node with differing targets splits whenever some column varies in it (one
    // draw per column often removes nothing on few-valued targets such as 0/1 labels).
    double best_gain = random_split ? -std::numeric_limits<double>::infinity() : 1e-12 * ss;
    Index best_col = -1;
    int best_bin = -1;
    double best_threshold = 0;
    const double base = dev_sum * dev_sum / static_cast<double>(count);
    // Sum-of-squares reduction of the split sending left_count rows with deviation sum left_sum left.
    auto gain_of = [&](Index left_count, double left_sum) {
      const double right_sum = dev_sum - left_sum;
      return left_sum * left_sum / static_cast<double>(left_count) +
             right_sum * right_sum / static_cast<double>(count - left_count) - base;
    };
    Index varying = 0;
    for (Index s = 0; s < d && varying < mtry; ++s) {
      std::swap(order[static_cast<std::size_t>(s)],
                order[static_cast<std::size_t>(s + static_cast<Index>(uniform_index(rng, static_cast<std::uint64_t>(d - s))))]);
      const Index col = order[static_cast<std::size_t>(s)];
      if (random_split) {
        const double* x = X.col(col).data();
        double lo = x[rows[nd.begin]], hi = lo;
        for (std::size_t i = nd.begin; i < nd.end; ++i) {
          lo = std::min(lo, x[rows[i]]);
          hi = std::max(hi, x[rows[i]]);
        }
        if (lo == hi) continue;
        ++varying;
        // std::lerp cannot overflow when lo and hi have opposite signs; rounding onto hi would leave
        // the right side empty, so such a draw takes the last representable cut below hi.
        double threshold = std::lerp(lo, hi, uniform01(rng));
        if (!(threshold < hi)) threshold = std::nextafter(hi, lo);
        Index left_count = 0;
        double left_sum = 0;
        for (std::size_t i = nd.begin; i < nd.end; ++i)
          if (x[rows[i]] <= threshold) {
            ++left_count;
            left_sum += dev[i - nd.begin];
          }
        if (left_count < min_leaf || count - left_count < min_leaf) continue;
        const double gain = gain_of(left_count, left_sum);
        if (gain > best_gain) {
          best_gain = gain;
          best_col = col;
          best_threshold = threshold;
        }
        continue;
      }
      const std::uint8_t* bins = B.column(col);
      touched.clear();
      for (std::size_t i = nd.begin; i < nd.end; ++i) {
        const std::uint8_t b = bins[rows[i]];
        if (hist_count[b]++ == 0) touched.push_back(b);
        hist_sum[b] += dev[i - nd.begin];
      }
      if (touched.size() >= 2) {
        ++varying;
        std::sort(touched.begin(), touched.end());
        Index left_count = 0;
        double left_sum = 0;
        for (std::size_t j = 0; j + 1 < touched.size(); ++j) {
          left_count += hist_count[static_cast<std::size_t>(touched[j])];
          left_sum += hist_sum[static_cast<std::size_t>(touched[j])];
          if (left_count < min_leaf) continue;
          if (count - left_count < min_leaf) break;
          const double gain = gain_of(left_count, left_sum);
          if (gain > best_gain) {
            best_gain = gain;
            best_col = col;
            best_bin = touched[j];
          }
        }
      }
      for (int b : touched) {
        hist_count[static_cast<std::size_t>(b)] = 0;
        hist_sum[static_cast<std::size_t>(b)] = 0.0;
      }
    }
    if (best_col < 0) continue;

    const auto first = rows.begin() + static_cast<std::ptrdiff_t>(nd.begin);
    const auto last = rows.begin() + static_cast<std::ptrdiff_t>(nd.end);
    std::vector<Index>::iterator mid;
    if (random_split) {
      const double* x = X.col(best_col).data();
      mid = std::partition(first, last, [&](Index r) { return x[r] <= best_threshold; });
    } else {
      const std::uint8_t* bins = B.column(best_col);
      mid = std::partition(first, last, [&](Index r) { return bins[r] <= best_bin; });
      best_threshold = B.cuts[static_cast<std::size_t>(best_col)][static_cast<std::size_t>(best_bin)];
    }
    const auto split = static_cast<std::size_t>(mid - rows.begin());
    const std::size_t l = add_nodes(2);
    t.feature[k] = static_cast<std::int32_t>(best_col);
    t.left[k] = static_cast<std::int32_t>(l);
    t.value[k] = best_threshold;
    t.leaf_variance[k] = 0.0;
    out.importance[static_cast<std::size_t>(best_col)] += std::max(best_gain, 0.0);
    // Right first so that the left child is grown next (depth-first, left to right).
    stack.push_back({l + 1, split, nd.end, nd.depth + 1});
    stack.push_back({l, nd.begin, split, nd.depth + 1});
  }
  t.feature.shrink_to_fit();
  t.left.shrink_to_fit();
  t.value.shrink_to_fit();
  t.leaf_variance.shrink_to_fit();
  return out;
}

// How many of n values a trim drops from each end: floor(trim * n), at most (n - 1) / 2 so that one
// value is left. The 1e-9 makes a share that is a whole number of trees in decimal count as that
// number (0.29 * 100 is 28.999999999999996 in doubles).
std::size_t trim_count(std::size_t n, double trim) {
  const auto k = static_cast<std::size_t>(std::floor(trim * static_cast<double>(n) + 1e-9));
  return std::min(k, (n - 1) / 2);
}

// Mean of the values left after dropping k from each end; sorts `values`.
double trimmed_mean(std::vector<double>& values, std::size_t k) {
  const std::size_t n = values.size();
  std::sort(values.begin(), values.end());
  double sum = 0;
  for (std::size_t i = k; i < n - k; ++i) sum += values[i];
  return sum / static_cast<double>(n - 2 * k);
}

}  // namespace

struct RandomForest::State {
  Index input_dim = 0;
  std::vector<Tree> trees;
  VectorXd importance;  // raw sum-of-squares reductions per column
};

ForestOptions ForestOptions::from_json(const std::string& text) {
  ForestOptions o;
  const nlohmann::json j = detail::parse_options_object(text, "forest options");
  try {
    for (auto it = j.begin(); it != j.end(); ++it) {
      const std::string& key = it.key();
      const auto& v = it.value();
      if (key == "trees") o.trees = v.get<int>();
      else if (key == "max_features") o.max_features = v.get<double>();
      else if (key == "min_samples_leaf") o.min_samples_leaf = v.get<int>();
      else if (key == "max_depth") o.max_depth = v.get<int>();
      else if (key == "max_bins") o.max_bins = v.get<int>();
      else if (key == "bootstrap") o.bootstrap = v.get<bool>();
      else if (key == "split") o.split = v.get<std::string>();
      else if (key == "trim") o.trim = v.get<double>();
      else if (key == "threads") o.threads = v.get<int>();
      else
        throw InvalidArgument("forest options: unknown key '" + key +
                              "' (valid: trees, max_features, min_samples_leaf, max_depth, max_bins, bootstrap, split, trim, threads)");
    }
  } catch (const nlohmann::json::exception& e) {
    throw InvalidArgument(std::string("forest options: wrong value type: ") + e.what());
  }
  o.validate();
  return o;
}

std::string ForestOptions::to_json() const {
  nlohmann::ordered_json j;
  j["trees"] = trees;
  j["max_features"] = max_features;
  j["min_samples_leaf"] = min_samples_leaf;
  j["max_depth"] = max_depth;
  j["max_bins"] = max_bins;
  j["bootstrap"] = bootstrap;
  if (split != "best") j["split"] = split;  // omitted for CART forests, so that 0.6 still reads their files
  if (trim != 0.0) j["trim"] = trim;        // omitted when 0, so that 0.7 still reads those files
  j["threads"] = threads;
  return j.dump();
}

void ForestOptions::validate() const {
  if (trees < 1) throw InvalidArgument("forest options: trees must be >= 1, got " + std::to_string(trees));
  if (!(max_features > 0.0 && max_features <= 1.0))
    throw InvalidArgument("forest options: max_features must be in (0, 1], got " + std::to_string(max_features));
  if (min_samples_leaf < 1)
    throw InvalidArgument("forest options: min_samples_leaf must be >= 1, got " + std::to_string(min_samples_leaf));
  if (max_depth < 0) throw InvalidArgument("forest options: max_depth must be >= 0 (0 = unlimited), got " + std::to_string(max_depth));
  if (max_bins < 2 || max_bins > 256)
    throw InvalidArgument("forest options: max_bins must be in [2, 256], got " + std::to_string(max_bins));
  if (split != "best" && split != "random")
    throw InvalidArgument("forest options: split must be \"best\" or \"random\", got \"" + split + "\"");
  if (!(trim >= 0.0 && trim < 0.5))
    throw InvalidArgument("forest options: trim must be in [0, 0.5), got " + std::to_string(trim));
  if (threads < 0) throw InvalidArgument("forest options: threads must be >= 0, got " + std::to_string(threads));
}

RandomForest::RandomForest(ForestOptions options, std::uint64_t seed) : options_(std::move(options)), seed_(seed) {
  options_.validate();
}
RandomForest::~RandomForest() = default;
RandomForest::RandomForest(const RandomForest& o)
    : options_(o.options_), seed_(o.seed_), state_(o.state_ ? std::make_unique<State>(*o.state_) : nullptr) {}
RandomForest& RandomForest::operator=(const RandomForest& o) {
  RandomForest copy(o);  // copy first: if it throws, *this is unchanged
  std::swap(options_, copy.options_);
  std::swap(seed_, copy.seed_);
  std::swap(state_, copy.state_);
  return *this;
}

bool RandomForest::is_fitted() const noexcept { return state_ != nullptr; }
std::unique_ptr<Surrogate> RandomForest::clone() const { return std::make_unique<RandomForest>(*this); }

void RandomForest::fit(const MatrixXd& X, const VectorXd& y, const VectorXd& noise_variance) {
  detail::check_tree_training_data(X, y, "forest fit");
  const Index n = X.rows();
  if (noise_variance.size()) log_debug("forest fit: known noise variances are not used by the trees");

  auto st = std::make_unique<State>();
  st->input_dim = X.cols();
  const Binned B = options_.split == "random" ? Binned{} : bin_columns(X, options_.max_bins, options_.threads);
  std::vector<BuildResult> built(static_cast<std::size_t>(options_.trees));
  detail::parallel_for(options_.trees, options_.threads, [&](int t) {
    Rng rng(derive_seed(seed_, static_cast<std::uint64_t>(t)));
    std::vector<Index> rows(static_cast<std::size_t>(n));
    if (options_.bootstrap)
      for (auto& r : rows) r = static_cast<Index>(uniform_index(rng, static_cast<std::uint64_t>(n)));
    else
      std::iota(rows.begin(), rows.end(), Index{0});
    built[static_cast<std::size_t>(t)] = grow_tree(X, B, y, std::move(rows), options_, rng);
  });
  st->importance = VectorXd::Zero(X.cols());
  for (auto& b : built) {  // in tree order, so the sums do not depend on scheduling
    for (Index j = 0; j < X.cols(); ++j) st->importance[j] += b.importance[static_cast<std::size_t>(j)];
    st->trees.push_back(std::move(b.tree));
  }
  state_ = std::move(st);  // only a complete fit replaces the previous one
}

void RandomForest::check_input(const MatrixXd& X, const char* what) const {
  detail::check_prediction_input(state_ != nullptr, state_ ? state_->input_dim : 0, X, what);
}

MatrixXd RandomForest::tree_predictions(const MatrixXd& X) const {
  check_input(X, "forest tree_predictions");
  const auto& trees = state_->trees;
  MatrixXd P(static_cast<Index>(trees.size()), X.rows());  // column i: every tree at row i
  detail::for_each_row(X.rows(), options_.threads, [&](Index i) {
    for (std::size_t t = 0; t < trees.size(); ++t) P(static_cast<Index>(t), i) = trees[t].value[trees[t].leaf(X, i)];
  });
  return P;
}

ShapValues RandomForest::shap_values(const MatrixXd& X, const MatrixXd& background) const {
  check_input(X, "forest shap_values");
  check_input(background, "forest shap_values (background)");
  if (trim_count(state_->trees.size(), options_.trim) > 0)
    throw InvalidArgument("forest shap_values: the predictive mean is trimmed (trim > 0), not a sum over trees");
  ShapValues out;
  out.phi = MatrixXd::Zero(X.rows(), X.cols());
  const double w = 1.0 / static_cast<double>(state_->trees.size());
  for (const Tree& t : state_->trees) add_tree_shap(TreeView{t.feature, t.left, t.value}, X, background, w, out.phi);
  out.expected_value = predict(background).mean.mean();
  return out;
}

Prediction RandomForest::predict(const MatrixXd& X) const {
  check_input(X, "forest predict");
  const auto& trees = state_->trees;
  const Index m = X.rows();
  const double T = static_cast<double>(trees.size());
  const std::size_t trimmed = trim_count(trees.size(), options_.trim);
  Prediction p;
  p.mean.resize(m);
  p.epistemic_variance.resize(m);
  p.aleatoric_variance.resize(m);
  detail::for_each_row(m, options_.threads, [&](Index i) {
    thread_local std::vector<double> values;
    values.resize(trees.size());
    double sum = 0, within = 0;
    for (std::size_t t = 0; t < trees.size(); ++t) {
      const std::size_t leaf = trees[t].leaf(X, i);
      values[t] = trees[t].value[leaf];
      sum += values[t];
      within += trees[t].leaf_variance[leaf];
    }
    const double mean = sum / T;
    // Unless a tree is dropped this is the plain mean, and the epistemic variance the trees' variance.
    const double location = trimmed > 0 ? trimmed_mean(values, trimmed) : mean;
    double between = 0;
    for (double v : values) between += (v - location) * (v - location);
    p.mean[i] = location;
    p.epistemic_variance[i] = between / T;
    p.aleatoric_variance[i] = within / T;
  });
  p.variance = p.epistemic_variance + p.aleatoric_variance;
  return p;
}

MatrixXd RandomForest::sample_joint(const MatrixXd& X, int n_samples, std::uint64_t seed) const {
  check_input(X, "forest sample_joint");
  if (n_samples < 0) throw InvalidArgument("forest sample_joint: n_samples must be >= 0");
  // Gaussian with the trees' mean and covariance at the rows of X: f = μ + Σ_t z_t (f_t − μ) / √T,
  // z ~ N(0, I). Drawing whole trees instead would never go beyond the training targets, so every
  // improvement-based acquisition (qNEHVI, qEI) would be 0 everywhere.
  const MatrixXd P = tree_predictions(X);  // T x m
  MatrixXd S = detail::ensemble_deviation_samples(P, n_samples, seed);
  const std::size_t trimmed = trim_count(static_cast<std::size_t>(P.rows()), options_.trim);
  if (trimmed > 0) {  // centred on predict()'s trimmed mean, with the trees' covariance
    std::vector<double> column(static_cast<std::size_t>(P.rows()));
    for (Index i = 0; i < P.cols(); ++i) {
      for (Index t = 0; t < P.rows(); ++t) column[static_cast<std::size_t>(t)] = P(t, i);
      S.col(i).array() += trimmed_mean(column, trimmed);
    }
  } else {
    S.rowwise() += P.colwise().mean();
  }
  return S;
}

VectorXd RandomForest::feature_importance() const {
  if (!state_) throw InvalidArgument("forest feature_importance: the model is not fitted");
  const double total = state_->importance.sum();
  return total > 0 ? VectorXd(state_->importance / total) : VectorXd(VectorXd::Zero(state_->importance.size()));
}

void RandomForest::save(Archive& out) const {
  if (!state_) throw InvalidArgument("forest save: the model is not fitted");
  out.set_attr("kind", std::string("forest"));
  out.set_attr("options", options_.to_json());
  out.set_attr("seed", static_cast<std::int64_t>(seed_));
  out.set_attr("input_dim", static_cast<std::int64_t>(state_->input_dim));
  std::size_t nodes = 0;
  for (const Tree& t : state_->trees) nodes += t.feature.size();
  std::vector<std::int64_t> offsets{0}, feature, left;
  feature.reserve(nodes);
  left.reserve(nodes);
  VectorXd value(static_cast<Index>(nodes)), leaf_variance(static_cast<Index>(nodes));
  for (const Tree& t : state_->trees) {
    const auto at = static_cast<Index>(feature.size()), size = static_cast<Index>(t.feature.size());
    feature.insert(feature.end(), t.feature.begin(), t.feature.end());
    left.insert(left.end(), t.left.begin(), t.left.end());
    value.segment(at, size) = Eigen::Map<const VectorXd>(t.value.data(), size);
    leaf_variance.segment(at, size) = Eigen::Map<const VectorXd>(t.leaf_variance.data(), size);
    offsets.push_back(static_cast<std::int64_t>(feature.size()));
  }
  out.set("tree_offsets", std::move(offsets));
  out.set("feature", std::move(feature));
  out.set("left", std::move(left));
  out.set("value", std::move(value));
  out.set("leaf_variance", std::move(leaf_variance));
  out.set("importance", state_->importance);
}

void RandomForest::load(const Archive& in) {
  if (!in.has_attr("kind") || in.attr_string("kind") != "forest")
    throw IOError("forest load: the archive group is not a random forest");
  // Everything is read and checked before any member changes, so a bad file leaves *this as it was.
  ForestOptions opts = ForestOptions::from_json(in.attr_string("options"));
  const auto seed = static_cast<std::uint64_t>(in.attr_int("seed"));
  auto st = std::make_unique<State>();
  st->input_dim = static_cast<Index>(in.attr_int("input_dim"));
  const auto& offsets = in.integers("tree_offsets");
  const auto& feature = in.integers("feature");
  const auto& left = in.integers("left");
  const VectorXd& value = in.vector("value");
  const VectorXd& leaf_variance = in.vector("leaf_variance");
  st->importance = in.vector("importance");
  const auto total = static_cast<std::int64_t>(feature.size());
  if (st->input_dim < 1 || st->input_dim > std::numeric_limits<std::int32_t>::max() ||
      static_cast<std::int64_t>(left.size()) != total || value.size() != total || leaf_variance.size() != total ||
      st->importance.size() != st->input_dim)
    throw IOError("forest load: inconsistent array sizes in the archive");
  detail::check_tree_offsets(offsets, total, "forest load");
  for (std::size_t t = 0; t + 1 < offsets.size(); ++t) {
    const std::int64_t b = offsets[t], e = offsets[t + 1];
    Tree tree;
    for (std::int64_t k = b; k < e; ++k) {
      const std::int64_t f = feature[static_cast<std::size_t>(k)];
      const std::int64_t l = left[static_cast<std::size_t>(k)];
      detail::check_tree_node(k - b, e - b, f, l, st->input_dim, "forest load: tree " + std::to_string(t));
      tree.feature.push_back(static_cast<std::int32_t>(f < 0 ? -1 : f));
      tree.left.push_back(static_cast<std::int32_t>(f < 0 ? -1 : l));
      tree.value.push_back(value[k]);
      tree.leaf_variance.push_back(leaf_variance[k]);
    }
    st->trees.push_back(std::move(tree));
  }
  options_ = std::move(opts);
  seed_ = seed;
  state_ = std::move(st);
}

}  // namespace matopt
