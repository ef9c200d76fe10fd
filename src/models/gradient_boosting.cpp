// SPDX-License-Identifier: MIT
// Gradient-boosted trees. The columns are binned once (as for the random forest); every tree then
// grows leaf-wise from histograms of the loss gradient over the bins, and a child's histogram is its
// parent's minus its sibling's, so only the smaller child is counted. Targets are standardized, so
// `huber_delta` and `l2_regularization` mean the same on any scale. Each member is one independent
// boosting run with its own seed; within a run every histogram column is summed by one thread in row
// order, so the result does not depend on the thread count.
#include "matopt/models/gradient_boosting.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "core/median.hpp"
#include "core/parallel.hpp"
#include "models/binning.hpp"
#include "models/ensemble_samples.hpp"
#include "models/row_blocks.hpp"
#include "models/input_checks.hpp"
#include "models/options_json.hpp"
#include "matopt/core/archive.hpp"
#include "matopt/core/cancel.hpp"
#include "matopt/core/error.hpp"
#include "matopt/core/log.hpp"
#include "matopt/core/rng.hpp"

namespace matopt {

using Eigen::Index;
using Eigen::MatrixXd;
using Eigen::VectorXd;

namespace {

enum class Loss { Squared, Absolute, Huber };

Loss parse_loss(const std::string& name) {
  if (name == "squared") return Loss::Squared;
  if (name == "absolute") return Loss::Absolute;
  return Loss::Huber;  // validate() admits nothing else
}

// One tree as flat node arrays (node 0 the root): an internal node k has feature[k] >= 0, children
// left[k] and left[k] + 1, and threshold value[k] (x <= threshold goes left); a leaf has
// feature[k] = -1 and its (shrunk) step in value[k], standardized units.
struct Tree {
  std::vector<std::int32_t> feature, left;
  std::vector<double> value;

  double at(const MatrixXd& X, Index row) const {
    std::size_t node = 0;
    while (feature[node] >= 0) {
      const auto next = static_cast<std::size_t>(left[node]);
      node = X(row, feature[node]) <= value[node] ? next : next + 1;
    }
    return value[node];
  }
};

struct Member {
  double init = 0;  // standardized units
  std::vector<Tree> trees;
};

// Histogram of one leaf over the bins of the tree's columns: gradient sums and row counts, the
// columns laid end to end (column u starts at offset[u]).
struct Histogram {
  std::vector<double> grad;
  std::vector<std::int32_t> count;
};

struct Split {
  double gain = 0;
  int column = -1;  // position in the tree's column list
  int bin = 0;
};

struct Leaf {
  std::size_t begin, end;  // the leaf's rows in the row-index array
  std::size_t node;
  Histogram hist;
  Split split;
};

class TreeGrower {
 public:
  TreeGrower(const detail::Binned& B, const BoostOptions& o, const std::vector<double>& gradient)
      : B_(B), o_(o), g_(gradient) {}

  // Grows one tree on rows[0, rows.size()) over `columns` and returns it with each leaf's row range.
  Tree grow(std::vector<Index>& rows, const std::vector<Index>& columns, std::vector<Leaf>& leaves) {
    columns_ = &columns;
    offset_.assign(columns.size() + 1, 0);
    for (std::size_t u = 0; u < columns.size(); ++u) offset_[u + 1] = offset_[u] + static_cast<std::size_t>(B_.bin_count(columns[u]));
    rows_ = &rows;
    Tree t;
    add_nodes(t, 1);
    leaves.clear();
    leaves.push_back({0, rows.size(), 0, histogram(0, rows.size()), {}});
    leaves.back().split = best_split(leaves.back());
    while (static_cast<int>(leaves.size()) < o_.max_leaves) {
      std::size_t pick = leaves.size();
      for (std::size_t l = 0; l < leaves.size(); ++l)
        if (leaves[l].split.column >= 0 && (pick == leaves.size() || leaves[l].split.gain > leaves[pick].split.gain)) pick = l;
      if (pick == leaves.size()) break;
      Leaf parent = std::move(leaves[pick]);
      const Index col = columns[static_cast<std::size_t>(parent.split.column)];
      const std::uint8_t* bins = B_.column(col);
      const int cut = parent.split.bin;
      const auto mid = static_cast<std::size_t>(
          std::stable_partition(rows.begin() + static_cast<std::ptrdiff_t>(parent.begin),
                                rows.begin() + static_cast<std::ptrdiff_t>(parent.end),
                                [&](Index r) { return bins[r] <= cut; }) -
          rows.begin());
      const std::size_t l = add_nodes(t, 2);
      t.feature[parent.node] = static_cast<std::int32_t>(col);
      t.left[parent.node] = static_cast<std::int32_t>(l);
      t.value[parent.node] = B_.cuts[static_cast<std::size_t>(col)][static_cast<std::size_t>(cut)];
      Leaf left{parent.begin, mid, l, {}, {}}, right{mid, parent.end, l + 1, {}, {}};
      // Count the smaller child; the larger one's histogram is the parent's minus it.
      const bool left_small = mid - parent.begin <= parent.end - mid;
      Leaf& small = left_small ? left : right;
      Leaf& large = left_small ? right : left;
      small.hist = histogram(small.begin, small.end);
      large.hist = std::move(parent.hist);
      for (std::size_t k = 0; k < large.hist.grad.size(); ++k) {
        large.hist.grad[k] -= small.hist.grad[k];
        large.hist.count[k] -= small.hist.count[k];
      }
      left.split = best_split(left);
      right.split = best_split(right);
      // A leaf that cannot split needs no histogram: free it, so memory grows with the open leaves.
      for (Leaf* leaf : {&left, &right})
        if (leaf->split.column < 0) leaf->hist = Histogram{};
      leaves[pick] = std::move(left);
      leaves.push_back(std::move(right));
    }
    return t;
  }

 private:
  static std::size_t add_nodes(Tree& t, std::size_t count) {
    const std::size_t first = t.feature.size();
    t.feature.resize(first + count, -1);
    t.left.resize(first + count, -1);
    t.value.resize(first + count, 0.0);
    return first;
  }

  Histogram histogram(std::size_t begin, std::size_t end) const {
    Histogram h;
    h.grad.assign(offset_.back(), 0.0);
    h.count.assign(offset_.back(), 0);
    const auto& rows = *rows_;
    const auto& columns = *columns_;
    // Threads only pay off on large leaves; each column is summed by one thread in row order.
    const std::size_t work = (end - begin) * columns.size();
    const long long threads = work < (std::size_t{1} << 17) ? 1 : o_.threads;
    detail::parallel_chunks(columns.size(), threads, 4, [&](std::size_t u0, std::size_t u1) {
      for (std::size_t u = u0; u < u1; ++u) {
        const std::uint8_t* bins = B_.column(columns[u]);
        double* grad = h.grad.data() + offset_[u];
        std::int32_t* count = h.count.data() + offset_[u];
        for (std::size_t k = begin; k < end; ++k) {
          const Index r = rows[k];
          grad[bins[r]] += g_[static_cast<std::size_t>(r)];
          ++count[bins[r]];
        }
      }
    });
    return h;
  }

  // The loss reduction of the best cut (second-order gain with unit hessians and L2 penalty λ):
  // G_L²/(n_L + λ) + G_R²/(n_R + λ) − G²/(n + λ). The first column wins ties.
  Split best_split(const Leaf& leaf) const {
    Split best;
    const auto n = static_cast<double>(leaf.end - leaf.begin);
    if (leaf.end - leaf.begin < 2 * static_cast<std::size_t>(o_.min_samples_leaf)) return best;
    const double lambda = o_.l2_regularization;
    double total = 0;
    for (std::size_t k = offset_[0]; k < offset_[1]; ++k) total += leaf.hist.grad[k];
    const double base = total * total / (n + lambda);
    best.gain = 1e-12 * n;  // a cut must remove more than rounding noise
    for (std::size_t u = 0; u + 1 < offset_.size(); ++u) {
      double grad_left = 0;
      double count_left = 0;
      const std::size_t b0 = offset_[u], b1 = offset_[u + 1];
      for (std::size_t k = b0; k + 1 < b1; ++k) {
        grad_left += leaf.hist.grad[k];
        count_left += leaf.hist.count[k];
        if (count_left < o_.min_samples_leaf) continue;
        const double count_right = n - count_left;
        if (count_right < o_.min_samples_leaf) break;
        const double grad_right = total - grad_left;
        const double gain = grad_left * grad_left / (count_left + lambda) +
                            grad_right * grad_right / (count_right + lambda) - base;
        if (gain > best.gain) {
          best.gain = gain;
          best.column = static_cast<int>(u);
          best.bin = static_cast<int>(k - b0);
        }
      }
    }
    return best;
  }

  const detail::Binned& B_;
  const BoostOptions& o_;
  const std::vector<double>& g_;
  const std::vector<Index>* columns_ = nullptr;
  const std::vector<Index>* rows_ = nullptr;
  std::vector<std::size_t> offset_;
};

// One boosting run on standardized targets z.
Member boost(const MatrixXd& X, const detail::Binned& B, const VectorXd& z, const BoostOptions& o, std::uint64_t seed) {
  const Index n = z.size(), d = static_cast<Index>(B.cuts.size());
  const Loss loss = parse_loss(o.loss);
  Rng rng(seed);
  Member m;
  std::vector<double> residual(z.data(), z.data() + n), scratch(residual);
  m.init = loss == Loss::Squared ? 0.0 : detail::median_in_place(scratch);  // z has mean 0
  for (double& r : residual) r -= m.init;
  std::vector<double> gradient(static_cast<std::size_t>(n));
  std::vector<Index> rows, order(static_cast<std::size_t>(d)), columns;
  std::iota(order.begin(), order.end(), Index{0});
  const auto tree_columns = static_cast<Index>(std::max<double>(1.0, std::round(o.colsample * static_cast<double>(d))));
  std::vector<Leaf> leaves;
  TreeGrower grower(B, o, gradient);
  m.trees.reserve(static_cast<std::size_t>(o.rounds));
  for (int round = 0; round < o.rounds; ++round) {
    check_cancelled();
    // Negative gradients of the loss at the current predictions (positive = predict higher).
    for (Index i = 0; i < n; ++i) {
      const double r = residual[static_cast<std::size_t>(i)];
      double& g = gradient[static_cast<std::size_t>(i)];
      if (loss == Loss::Squared) g = r;
      else if (loss == Loss::Absolute) g = static_cast<double>((r > 0) - (r < 0));
      else g = std::clamp(r, -o.huber_delta, o.huber_delta);
    }
    rows.clear();
    if (o.subsample < 1.0) {
      for (Index i = 0; i < n; ++i)
        if (uniform01(rng) < o.subsample) rows.push_back(i);
    }
    if (rows.empty()) {  // every row, or a draw that took none (tiny data)
      rows.resize(static_cast<std::size_t>(n));
      std::iota(rows.begin(), rows.end(), Index{0});
    }
    for (Index s = 0; s < tree_columns; ++s)
      std::swap(order[static_cast<std::size_t>(s)],
                order[static_cast<std::size_t>(s + static_cast<Index>(uniform_index(rng, static_cast<std::uint64_t>(d - s))))]);
    columns.assign(order.begin(), order.begin() + tree_columns);
    std::sort(columns.begin(), columns.end());
    Tree tree = grower.grow(rows, columns, leaves);
    // Leaf values from the residuals of the leaf's rows: the gradient step for squared loss, the
    // median for absolute loss, the median plus the mean clipped deviation from it for Huber.
    for (const Leaf& leaf : leaves) {
      double step = 0;
      if (loss == Loss::Squared) {
        double sum = 0;
        for (std::size_t k = leaf.begin; k < leaf.end; ++k) sum += residual[static_cast<std::size_t>(rows[k])];
        step = sum / (static_cast<double>(leaf.end - leaf.begin) + o.l2_regularization);
      } else {
        scratch.clear();
        for (std::size_t k = leaf.begin; k < leaf.end; ++k) scratch.push_back(residual[static_cast<std::size_t>(rows[k])]);
        const double med = detail::median_in_place(scratch);
        step = med;
        if (loss == Loss::Huber) {
          double clipped = 0;
          for (std::size_t k = leaf.begin; k < leaf.end; ++k)
            clipped += std::clamp(residual[static_cast<std::size_t>(rows[k])] - med, -o.huber_delta, o.huber_delta);
          step += clipped / static_cast<double>(leaf.end - leaf.begin);
        }
      }
      tree.value[leaf.node] = o.learning_rate * step;
    }
    // Every training row moves by its leaf's value, sampled this round or not.
    for (Index i = 0; i < n; ++i) residual[static_cast<std::size_t>(i)] -= tree.at(X, i);
    m.trees.push_back(std::move(tree));
  }
  return m;
}

}  // namespace

struct GradientBoosting::State {
  Index input_dim = 0;
  double y_mean = 0, y_scale = 1;
  std::vector<Member> members;
};

BoostOptions BoostOptions::from_json(const std::string& text) {
  BoostOptions o;
  const nlohmann::json j = detail::parse_options_object(text, "boost options");
  try {
    for (auto it = j.begin(); it != j.end(); ++it) {
      const std::string& key = it.key();
      const auto& v = it.value();
      if (key == "rounds") o.rounds = v.get<int>();
      else if (key == "learning_rate") o.learning_rate = v.get<double>();
      else if (key == "max_leaves") o.max_leaves = v.get<int>();
      else if (key == "min_samples_leaf") o.min_samples_leaf = v.get<int>();
      else if (key == "l2_regularization") o.l2_regularization = v.get<double>();
      else if (key == "subsample") o.subsample = v.get<double>();
      else if (key == "colsample") o.colsample = v.get<double>();
      else if (key == "loss") o.loss = v.get<std::string>();
      else if (key == "huber_delta") o.huber_delta = v.get<double>();
      else if (key == "max_bins") o.max_bins = v.get<int>();
      else if (key == "members") o.members = v.get<int>();
      else if (key == "threads") o.threads = v.get<int>();
      else
        throw InvalidArgument("boost options: unknown key '" + key +
                              "' (valid: rounds, learning_rate, max_leaves, min_samples_leaf, l2_regularization, "
                              "subsample, colsample, loss, huber_delta, max_bins, members, threads)");
    }
  } catch (const nlohmann::json::exception& e) {
    throw InvalidArgument(std::string("boost options: wrong value type: ") + e.what());
  }
  o.validate();
  return o;
}

std::string BoostOptions::to_json() const {
  nlohmann::ordered_json j;
  j["rounds"] = rounds;
  j["learning_rate"] = learning_rate;
  j["max_leaves"] = max_leaves;
  j["min_samples_leaf"] = min_samples_leaf;
  j["l2_regularization"] = l2_regularization;
  j["subsample"] = subsample;
  j["colsample"] = colsample;
  j["loss"] = loss;
  j["huber_delta"] = huber_delta;
  j["max_bins"] = max_bins;
  j["members"] = members;
  j["threads"] = threads;
  return j.dump();
}

void BoostOptions::validate() const {
  auto fail = [](const std::string& what) { throw InvalidArgument("boost options: " + what); };
  if (rounds < 1) fail("rounds must be >= 1, got " + std::to_string(rounds));
  if (!(learning_rate > 0.0 && learning_rate <= 1.0)) fail("learning_rate must be in (0, 1], got " + std::to_string(learning_rate));
  if (max_leaves < 1) fail("max_leaves must be >= 1, got " + std::to_string(max_leaves));
  if (min_samples_leaf < 1) fail("min_samples_leaf must be >= 1, got " + std::to_string(min_samples_leaf));
  if (!(l2_regularization >= 0.0 && std::isfinite(l2_regularization)))
    fail("l2_regularization must be a finite number >= 0, got " + std::to_string(l2_regularization));
  if (!(subsample > 0.0 && subsample <= 1.0)) fail("subsample must be in (0, 1], got " + std::to_string(subsample));
  if (!(colsample > 0.0 && colsample <= 1.0)) fail("colsample must be in (0, 1], got " + std::to_string(colsample));
  if (loss != "squared" && loss != "absolute" && loss != "huber")
    fail("loss must be \"squared\", \"absolute\" or \"huber\", got \"" + loss + "\"");
  if (!(huber_delta > 0.0 && std::isfinite(huber_delta))) fail("huber_delta must be a finite number > 0, got " + std::to_string(huber_delta));
  if (max_bins < 2 || max_bins > 256) fail("max_bins must be in [2, 256], got " + std::to_string(max_bins));
  if (members < 1) fail("members must be >= 1, got " + std::to_string(members));
  if (threads < 0) fail("threads must be >= 0, got " + std::to_string(threads));
}

GradientBoosting::GradientBoosting(BoostOptions options, std::uint64_t seed) : options_(std::move(options)), seed_(seed) {
  options_.validate();
}
GradientBoosting::~GradientBoosting() = default;
GradientBoosting::GradientBoosting(const GradientBoosting& o)
    : options_(o.options_), seed_(o.seed_), state_(o.state_ ? std::make_unique<State>(*o.state_) : nullptr) {}
GradientBoosting& GradientBoosting::operator=(const GradientBoosting& o) {
  GradientBoosting copy(o);  // copy first: if it throws, *this is unchanged
  std::swap(options_, copy.options_);
  std::swap(seed_, copy.seed_);
  std::swap(state_, copy.state_);
  return *this;
}

GradientBoosting::GradientBoosting(GradientBoosting&&) noexcept = default;
GradientBoosting& GradientBoosting::operator=(GradientBoosting&&) noexcept = default;

bool GradientBoosting::is_fitted() const noexcept { return state_ != nullptr; }
std::unique_ptr<Surrogate> GradientBoosting::clone() const { return std::make_unique<GradientBoosting>(*this); }

void GradientBoosting::fit(const MatrixXd& X, const VectorXd& y, const VectorXd& noise_variance) {
  detail::check_tree_training_data(X, y, "boost fit");
  if (noise_variance.size()) log_debug("boost fit: known noise variances are not used by the trees");

  auto st = std::make_unique<State>();
  st->input_dim = X.cols();
  st->y_mean = y.mean();
  const double sd = std::sqrt((y.array() - st->y_mean).square().mean());
  if (!std::isfinite(st->y_mean) || !std::isfinite(sd))
    throw DataError("boost fit: the targets' mean or spread overflows a double (rescale y)");
  if (options_.members > 1 && options_.subsample == 1.0 && options_.colsample == 1.0)
    log_warn("boost fit: with subsample and colsample 1 the " + std::to_string(options_.members) +
             " members are identical (their spread, the epistemic variance, is 0)");
  st->y_scale = sd > 0 && std::isfinite(sd) ? sd : 1.0;  // constant targets: any scale fits them
  const VectorXd z = (y.array() - st->y_mean) / st->y_scale;
  const detail::Binned B = detail::bin_columns(X, options_.max_bins, options_.threads);
  for (int k = 0; k < options_.members; ++k)
    st->members.push_back(boost(X, B, z, options_, derive_seed(seed_, static_cast<std::uint64_t>(k))));
  state_ = std::move(st);  // only a complete fit replaces the previous one
}

void GradientBoosting::check_input(const MatrixXd& X, const char* what) const {
  detail::check_prediction_input(state_ != nullptr, state_ ? state_->input_dim : 0, X, what);
}

MatrixXd GradientBoosting::member_predictions(const MatrixXd& X) const {
  check_input(X, "boost member_predictions");
  const auto& members = state_->members;
  MatrixXd P(static_cast<Index>(members.size()), X.rows());
  detail::for_each_row(X.rows(), options_.threads, [&](Index i) {
    for (std::size_t k = 0; k < members.size(); ++k) {
      double f = members[k].init;
      for (const Tree& t : members[k].trees) f += t.at(X, i);
      P(static_cast<Index>(k), i) = state_->y_mean + state_->y_scale * f;
    }
  });
  return P;
}

ShapValues GradientBoosting::shap_values(const MatrixXd& X, const MatrixXd& background) const {
  check_input(X, "boost shap_values");
  check_input(background, "boost shap_values (background)");
  ShapValues out;
  out.phi = MatrixXd::Zero(X.rows(), X.cols());
  // mean_k (y_mean + y_scale (init_k + sum_t tree)): Shapley values are linear in the trees.
  const double w = state_->y_scale / static_cast<double>(state_->members.size());
  for (const Member& m : state_->members)
    for (const Tree& t : m.trees) add_tree_shap(TreeView{t.feature, t.left, t.value}, X, background, w, out.phi);
  out.expected_value = predict(background).mean.mean();
  return out;
}

Prediction GradientBoosting::predict(const MatrixXd& X) const {
  const MatrixXd P = member_predictions(X);
  Prediction p;
  p.mean = P.colwise().mean().transpose();
  p.epistemic_variance = (P.rowwise() - p.mean.transpose()).array().square().colwise().mean().transpose();
  p.aleatoric_variance = VectorXd::Zero(X.rows());
  p.variance = p.epistemic_variance;
  return p;
}

MatrixXd GradientBoosting::sample_joint(const MatrixXd& X, int n_samples, std::uint64_t seed) const {
  if (n_samples < 0) throw InvalidArgument("boost sample_joint: n_samples must be >= 0");
  const MatrixXd P = member_predictions(X);  // members x m
  MatrixXd S = detail::ensemble_deviation_samples(P, n_samples, seed);
  S.rowwise() += P.colwise().mean();  // f = μ + Σ_k z_k (f_k − μ) / √M: the members' mean and covariance
  return S;
}

void GradientBoosting::save(Archive& out) const {
  if (!state_) throw InvalidArgument("boost save: the model is not fitted");
  out.set_attr("kind", std::string("boost"));
  out.set_attr("options", options_.to_json());
  out.set_attr("seed", static_cast<std::int64_t>(seed_));
  out.set_attr("input_dim", static_cast<std::int64_t>(state_->input_dim));
  out.set_attr("y_mean", state_->y_mean);
  out.set_attr("y_scale", state_->y_scale);
  std::vector<std::int64_t> offsets{0}, member_trees{0}, feature, left;
  std::vector<double> value, init;
  for (const Member& m : state_->members) {
    init.push_back(m.init);
    for (const Tree& t : m.trees) {
      feature.insert(feature.end(), t.feature.begin(), t.feature.end());
      left.insert(left.end(), t.left.begin(), t.left.end());
      value.insert(value.end(), t.value.begin(), t.value.end());
      offsets.push_back(static_cast<std::int64_t>(feature.size()));
    }
    member_trees.push_back(static_cast<std::int64_t>(offsets.size() - 1));
  }
  out.set("init", VectorXd(Eigen::Map<const VectorXd>(init.data(), static_cast<Index>(init.size()))));
  out.set("member_trees", std::move(member_trees));
  out.set("tree_offsets", std::move(offsets));
  out.set("feature", std::move(feature));
  out.set("left", std::move(left));
  out.set("value", VectorXd(Eigen::Map<const VectorXd>(value.data(), static_cast<Index>(value.size()))));
}

void GradientBoosting::load(const Archive& in) {
  if (!in.has_attr("kind") || in.attr_string("kind") != "boost")
    throw IOError("boost load: the archive group is not a gradient-boosting model");
  // Everything is read and checked before any member changes, so a bad file leaves *this as it was.
  BoostOptions opts = BoostOptions::from_json(in.attr_string("options"));
  const auto seed = static_cast<std::uint64_t>(in.attr_int("seed"));
  auto st = std::make_unique<State>();
  st->input_dim = static_cast<Index>(in.attr_int("input_dim"));
  st->y_mean = in.attr_double("y_mean");
  st->y_scale = in.attr_double("y_scale");
  const VectorXd& init = in.vector("init");
  const auto& member_trees = in.integers("member_trees");
  const auto& offsets = in.integers("tree_offsets");
  const auto& feature = in.integers("feature");
  const auto& left = in.integers("left");
  const VectorXd& value = in.vector("value");
  const auto total = static_cast<std::int64_t>(feature.size());
  const auto tree_count = static_cast<std::int64_t>(offsets.size()) - 1;
  if (st->input_dim < 1 || st->input_dim > std::numeric_limits<std::int32_t>::max() ||
      !std::isfinite(st->y_mean) || !(st->y_scale > 0) || !std::isfinite(st->y_scale) || init.size() < 1 ||
      !init.allFinite() || !value.allFinite() || static_cast<Index>(member_trees.size()) != init.size() + 1 ||
      static_cast<std::int64_t>(left.size()) != total || value.size() != total)
    throw IOError("boost load: inconsistent array sizes or non-finite values in the archive");
  detail::check_tree_offsets(offsets, total, "boost load");
  if (member_trees.front() != 0 || member_trees.back() != tree_count)
    throw IOError("boost load: the members' tree counts do not add up to the trees in the archive");
  for (std::size_t k = 0; k + 1 < member_trees.size(); ++k)
    if (member_trees[k + 1] < member_trees[k])
      throw IOError("boost load: member " + std::to_string(k) + " has a negative tree count");
  for (Index k = 0; k < init.size(); ++k) {
    const std::int64_t t0 = member_trees[static_cast<std::size_t>(k)], t1 = member_trees[static_cast<std::size_t>(k) + 1];
    Member m;
    m.init = init[k];
    for (std::int64_t t = t0; t < t1; ++t) {
      const std::int64_t b = offsets[static_cast<std::size_t>(t)], e = offsets[static_cast<std::size_t>(t) + 1];
      Tree tree;
      for (std::int64_t j = b; j < e; ++j) {
        const std::int64_t f = feature[static_cast<std::size_t>(j)];
        const std::int64_t l = left[static_cast<std::size_t>(j)];
        detail::check_tree_node(j - b, e - b, f, l, st->input_dim, "boost load: tree " + std::to_string(t));
        tree.feature.push_back(static_cast<std::int32_t>(f < 0 ? -1 : f));
        tree.left.push_back(static_cast<std::int32_t>(f < 0 ? -1 : l));
        tree.value.push_back(value[j]);
      }
      m.trees.push_back(std::move(tree));
    }
    st->members.push_back(std::move(m));
  }
  options_ = std::move(opts);
  seed_ = seed;
  state_ = std::move(st);
}

}  // namespace matopt
