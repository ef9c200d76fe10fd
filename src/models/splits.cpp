// SPDX-License-Identifier: MIT
#include "matopt/models/splits.hpp"
#include "models/column_scaling.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>

#include "matopt/core/elements.hpp"
#include "matopt/core/error.hpp"
#include "matopt/core/rng.hpp"
#include "matopt/featurize/pipeline.hpp"
#include "matopt/models/selection.hpp"

namespace matopt {

namespace {

constexpr const char* kForms = "random, loco, element, group:COLUMN or time:COLUMN";

std::vector<std::size_t> complement(const std::vector<std::size_t>& test, std::size_t n) {
  std::vector<char> in_test(n, 0);
  for (std::size_t i : test) in_test[i] = 1;
  std::vector<std::size_t> train;
  for (std::size_t i = 0; i < n; ++i)
    if (!in_test[i]) train.push_back(i);
  return train;
}

// One split per distinct value of `fold_of` (0..k-1), in value order.
std::vector<DataSplit> splits_from_assignment(const std::vector<int>& fold_of, int k, const std::string& prefix) {
  std::vector<DataSplit> out(static_cast<std::size_t>(k));
  for (std::size_t i = 0; i < fold_of.size(); ++i) out[static_cast<std::size_t>(fold_of[i])].test.push_back(i);
  for (int f = 0; f < k; ++f) {
    auto& s = out[static_cast<std::size_t>(f)];
    s.label = prefix + " " + std::to_string(f + 1);
    s.train = complement(s.test, fold_of.size());
  }
  return out;
}

void check_folds(const SplitSpec& spec, std::size_t n) {
  if (spec.folds < 2 || static_cast<std::size_t>(spec.folds) > n)
    throw InvalidArgument("--folds must be between 2 and the number of rows (" + std::to_string(n) + "), got " +
                          std::to_string(spec.folds));
}

}  // namespace

Eigen::MatrixXd split_features(const Dataset& data) {
  PipelineOptions po;
  po.features = data.has_composition() ? "magpie" : "none";
  Pipeline p(po);
  p.fit(data);
  Eigen::MatrixXd X = p.transform(data);
  if (X.cols() == 0) throw InvalidArgument("the dataset has neither a composition nor process columns to measure distances in");
  return X;
}

namespace {

std::vector<DataSplit> element_splits(const Dataset& data, const SplitSpec& spec, std::vector<std::string>* skipped) {
  if (!data.has_composition()) throw InvalidArgument("--split element: the dataset has no composition column");
  const std::size_t n = data.rows();
  const std::size_t min_rows = spec.min_rows > 0 ? spec.min_rows : std::max<std::size_t>(10, n / 20);
  std::vector<DataSplit> out;
  std::size_t rare = 0;  // elements in fewer than min_rows rows
  for (int z : data.elements()) {
    DataSplit s;
    for (std::size_t i = 0; i < n; ++i)
      if (data.compositions[i].fraction(z) > 0.0) s.test.push_back(i);
    const std::string sym(element_symbol(z));
    rare += s.test.size() < min_rows;
    if (s.test.size() < min_rows || n - s.test.size() < min_rows) {
      if (skipped && s.test.size() >= min_rows)
        skipped->push_back(sym + ": in " + std::to_string(s.test.size()) + " of " + std::to_string(n) +
                           " rows, fewer than " + std::to_string(min_rows) + " left to train on");
      continue;
    }
    s.label = sym;
    s.train = complement(s.test, n);
    out.push_back(std::move(s));
  }
  if (skipped) {
    if (rare) skipped->push_back(std::to_string(rare) + " elements in fewer than " + std::to_string(min_rows) + " rows (--min-rows)");
  }
  return out;
}

const Column& split_column(const Dataset& data, const SplitSpec& spec) {
  for (const auto& c : data.process)
    if (c.name == spec.column) return c;
  throw InvalidArgument("--split " + spec.text() + ": no column '" + spec.column + "' in the dataset");
}

void check_cells(const Column& c) {
  for (std::size_t i = 0; i < c.values.size(); ++i)
    if (std::isnan(c.values[i]))
      throw DataError("row " + std::to_string(i + 2) + ", column '" + c.name + "': empty cell (every row needs a value to be split on)");
}

std::vector<DataSplit> group_splits(const Dataset& data, const SplitSpec& spec) {
  const Column& c = split_column(data, spec);
  check_cells(c);
  std::map<std::string, std::vector<std::size_t>> groups;  // ordered by label: stable across row orders
  for (std::size_t i = 0; i < c.values.size(); ++i) groups[c.text(i)].push_back(i);
  if (groups.size() < 2)
    throw DataError("--split " + spec.text() + ": column '" + c.name + "' has " + std::to_string(groups.size()) +
                    " distinct value; leave-one-group-out needs at least 2");
  std::vector<DataSplit> out;
  for (auto& [label, rows] : groups) {
    DataSplit s;
    s.label = label;
    s.test = rows;
    s.train = complement(rows, data.rows());
    out.push_back(std::move(s));
  }
  return out;
}

// Row order by the column: numbers numerically, categories (e.g. ISO dates) by their text.
std::vector<std::size_t> time_order(const Column& c) {
  std::vector<std::size_t> order(c.values.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  if (c.type == ColumnType::Categorical)
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return c.text(a) < c.text(b); });
  else
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return c.values[a] < c.values[b]; });
  return order;
}

std::vector<DataSplit> time_splits(const Dataset& data, const SplitSpec& spec) {
  const Column& c = split_column(data, spec);
  check_cells(c);
  const std::vector<std::size_t> order = time_order(c);
  const std::size_t n = order.size();
  const auto blocks = static_cast<std::size_t>(spec.folds) + 1;
  if (spec.folds < 1 || blocks > n)
    throw InvalidArgument("--split " + spec.text() + ": --folds must be between 1 and rows - 1, got " + std::to_string(spec.folds));
  // Block boundaries at near-equal counts, moved forward past ties so one time never straddles two blocks.
  auto same = [&](std::size_t a, std::size_t b) { return c.text(order[a]) == c.text(order[b]); };
  std::vector<std::size_t> cut{0};
  for (std::size_t b = 1; b < blocks; ++b) {
    std::size_t at = std::max(cut.back() + 1, b * n / blocks);
    while (at < n && same(at - 1, at)) ++at;
    if (at >= n) break;
    cut.push_back(at);
  }
  cut.push_back(n);
  if (cut.size() < 3) throw DataError("--split " + spec.text() + ": column '" + c.name + "' has too few distinct values to split in time");
  std::vector<DataSplit> out;
  for (std::size_t b = 1; b + 1 < cut.size(); ++b) {
    DataSplit s;
    s.train.assign(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(cut[b]));
    s.test.assign(order.begin() + static_cast<std::ptrdiff_t>(cut[b]), order.begin() + static_cast<std::ptrdiff_t>(cut[b + 1]));
    s.label = c.name + " in [" + c.text(order[cut[b]]) + ", " + c.text(order[cut[b + 1] - 1]) + "]";
    std::sort(s.train.begin(), s.train.end());
    std::sort(s.test.begin(), s.test.end());
    out.push_back(std::move(s));
  }
  return out;
}

// k-means++: the first centre uniformly, then each next one with probability ∝ squared distance.
Eigen::MatrixXd kmeanspp(const Eigen::MatrixXd& Z, int k, std::uint64_t seed) {
  Rng rng(seed);
  Eigen::MatrixXd C(k, Z.cols());
  C.row(0) = Z.row(static_cast<Eigen::Index>(uniform_index(rng, static_cast<std::uint64_t>(Z.rows()))));
  Eigen::VectorXd d2 = (Z.rowwise() - C.row(0)).rowwise().squaredNorm();
  for (int c = 1; c < k; ++c) {
    const double total = d2.sum();
    Eigen::Index pick = 0;
    if (total > 0) {
      double u = uniform01(rng) * total;
      for (pick = 0; pick + 1 < Z.rows() && u >= d2[pick]; ++pick) u -= d2[pick];
    }
    C.row(c) = Z.row(pick);
    d2 = d2.cwiseMin((Z.rowwise() - C.row(c)).rowwise().squaredNorm());
  }
  return C;
}

}  // namespace

std::string SplitSpec::text() const {
  switch (kind) {
    case SplitKind::Random: return "random";
    case SplitKind::Cluster: return "loco";
    case SplitKind::Element: return "element";
    case SplitKind::Group: return "group:" + column;
    case SplitKind::Time: return "time:" + column;
  }
  return "random";
}

SplitSpec parse_split(std::string_view text) {
  SplitSpec s;
  const auto colon = text.find(':');
  const std::string_view head = text.substr(0, colon);
  const std::string column = colon == std::string_view::npos ? std::string() : std::string(text.substr(colon + 1));
  if (head == "random") s.kind = SplitKind::Random;
  else if (head == "loco" || head == "cluster") s.kind = SplitKind::Cluster;
  else if (head == "element") s.kind = SplitKind::Element;
  else if (head == "group") s.kind = SplitKind::Group;
  else if (head == "time") s.kind = SplitKind::Time;
  else throw InvalidArgument("--split '" + std::string(text) + "': expected " + kForms);
  const bool needs_column = s.kind == SplitKind::Group || s.kind == SplitKind::Time;
  if (needs_column != !column.empty() || (colon != std::string_view::npos && column.empty()))
    throw InvalidArgument("--split '" + std::string(text) + "': " +
                          (needs_column ? "name the column, e.g. " + std::string(head) + ":year" : std::string(head) + " takes no column") +
                          " (forms: " + kForms + ")");
  s.column = column;
  return s;
}

std::vector<int> kmeans_clusters(const Eigen::MatrixXd& X, int k, std::uint64_t seed) {
  const Eigen::Index n = X.rows();
  if (k < 1 || k > n) throw InvalidArgument("k-means: k must be between 1 and the number of rows (" + std::to_string(n) + ")");
  const Eigen::MatrixXd Z = detail::ColumnScaling::fit(X).apply(X);
  Eigen::MatrixXd C = kmeanspp(Z, k, seed);
  std::vector<int> of(static_cast<std::size_t>(n), -1);
  for (int iter = 0; iter < 300; ++iter) {
    bool changed = false;
    Eigen::VectorXd best_d(n);
    for (Eigen::Index i = 0; i < n; ++i) {
      Eigen::Index c = 0;
      best_d[i] = (C.rowwise() - Z.row(i)).rowwise().squaredNorm().minCoeff(&c);  // ties: lowest index
      if (of[static_cast<std::size_t>(i)] != static_cast<int>(c)) changed = true;
      of[static_cast<std::size_t>(i)] = static_cast<int>(c);
    }
    Eigen::MatrixXd sum = Eigen::MatrixXd::Zero(k, Z.cols());
    Eigen::VectorXi count = Eigen::VectorXi::Zero(k);
    for (Eigen::Index i = 0; i < n; ++i) {
      sum.row(of[static_cast<std::size_t>(i)]) += Z.row(i);
      ++count[of[static_cast<std::size_t>(i)]];
    }
    for (int c = 0; c < k; ++c) {
      if (count[c] > 0) {
        C.row(c) = sum.row(c) / count[c];
        continue;
      }
      Eigen::Index far = 0;  // an emptied cluster restarts at the row farthest from its own centre
      best_d.maxCoeff(&far);
      C.row(c) = Z.row(far);
      best_d[far] = 0;
      changed = true;
    }
    if (!changed) break;
  }
  // Number clusters by first appearance so the labels do not depend on the seeding order.
  std::vector<int> rename(static_cast<std::size_t>(k), -1);
  int next = 0;
  for (int& c : of) {
    if (rename[static_cast<std::size_t>(c)] < 0) rename[static_cast<std::size_t>(c)] = next++;
    c = rename[static_cast<std::size_t>(c)];
  }
  return of;
}

std::vector<DataSplit> make_splits(const Dataset& data, const SplitSpec& spec, std::vector<std::string>* skipped) {
  const std::size_t n = data.rows();
  std::vector<DataSplit> out;
  switch (spec.kind) {
    case SplitKind::Random:
      check_folds(spec, n);
      out = splits_from_assignment(inner_fold_assignment(n, spec.folds, spec.seed), spec.folds, "fold");
      break;
    case SplitKind::Cluster: {
      check_folds(spec, n);
      const std::vector<int> of = kmeans_clusters(split_features(data), spec.folds, spec.seed);
      const int k = *std::max_element(of.begin(), of.end()) + 1;
      out = splits_from_assignment(of, k, "cluster");
      break;
    }
    case SplitKind::Element: out = element_splits(data, spec, skipped); break;
    case SplitKind::Group: out = group_splits(data, spec); break;
    case SplitKind::Time: out = time_splits(data, spec); break;
  }
  if (out.empty())
    throw DataError("--split " + spec.text() + ": no split holds out any rows" +
                    (spec.kind == SplitKind::Element ? " (no element is in enough rows; lower --min-rows)" : ""));
  return out;
}

}  // namespace matopt
