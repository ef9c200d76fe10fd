// SPDX-License-Identifier: MIT
#include "matopt/optimize/propose.hpp"
#include "core/parallel.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <exception>
#include <limits>
#include <thread>

#include "matopt/core/cancel.hpp"
#include "matopt/core/csv.hpp"
#include "matopt/core/error.hpp"
#include "matopt/core/log.hpp"
#include "matopt/core/rng.hpp"
#include "matopt/optimize/pool.hpp"
#include "matopt/optimize/sampling.hpp"
#include "optimize/space_detail.hpp"
#include "optimize/top_k.hpp"

namespace matopt {

FeatureFn identity_features() {
  return [](const Eigen::MatrixXd& points) { return points; };
}

namespace {

int thread_count(int requested) { return static_cast<int>(detail::resolve_threads(requested)); }

struct Scorer {
  const DesignSpace& space;
  const PosteriorModel& model;
  const FeatureFn& features;
  const Eigen::MatrixXd& observed_Y;
  const BatchOptions& batch;
  int threads;
  const ProposeOptions* trust = nullptr;  ///< domain_score / max_domain_score, when set

  // Marginal acquisition scores of design points (rows). Blocks are scored concurrently; each row's
  // score depends only on that row, so the split does not change the result.
  Eigen::VectorXd operator()(const Eigen::MatrixXd& P) const {
    const Eigen::Index n = P.rows();
    Eigen::VectorXd out(n);
    if (n == 0) return out;
    constexpr std::size_t kMinBlock = 512;
    auto run = [&](Eigen::Index begin, Eigen::Index end) {
      Eigen::MatrixXd X = features(P.middleRows(begin, end - begin));
      Eigen::VectorXd s = prescreen_scores(model, space.objectives(), space.outcome_constraints(), observed_Y, X, batch);
      if (s.size() != end - begin) throw NumericalError("prescreen_scores returned " + std::to_string(s.size()) + " scores for " + std::to_string(end - begin) + " candidates");
      if (trust && trust->domain_score) {  // outside the trust region: never preferred to a candidate inside
        const Eigen::VectorXd ds = trust->domain_score(X);
        for (Eigen::Index i = 0; i < s.size(); ++i)
          if (!(ds[i] <= trust->max_domain_score)) s[i] = std::numeric_limits<double>::quiet_NaN();
      }
      for (Eigen::Index i = 0; i < s.size(); ++i) out[begin + i] = std::isnan(s[i]) ? -std::numeric_limits<double>::infinity() : s[i];
    };
    detail::parallel_chunks(static_cast<std::size_t>(n), threads, kMinBlock, [&](std::size_t b, std::size_t e) {
      run(static_cast<Eigen::Index>(b), static_cast<Eigen::Index>(e));
    });
    return out;
  }
};

// A shortlist candidate: its prescreen score, its position in the stream (ties go to the earlier
// one, so the shortlist does not depend on chunking), the point and its pool row (tag).
struct Candidate {
  double score;
  std::size_t order;
  Eigen::VectorXd point;
  std::size_t tag;
};
struct CandidateBefore {
  bool operator()(const Candidate& a, const Candidate& b) const {
    return a.score > b.score || (a.score == b.score && a.order < b.order);
  }
};
using Shortlist = detail::BoundedTopK<Candidate, CandidateBefore>;

// Refined points enter the shortlist whatever their score, so the trust region is checked once more.
void drop_outside_trust_region(std::vector<Candidate>& list, const FeatureFn& to_model_inputs, const ProposeOptions& options,
                               Eigen::Index d, int q) {
  if (list.empty()) return;
  Eigen::MatrixXd P(static_cast<Eigen::Index>(list.size()), d);
  for (std::size_t i = 0; i < list.size(); ++i) P.row(static_cast<Eigen::Index>(i)) = list[i].point.transpose();
  const Eigen::VectorXd ds = options.domain_score(to_model_inputs(P));
  std::vector<Candidate> kept;
  for (std::size_t i = 0; i < list.size(); ++i)
    if (ds[static_cast<Eigen::Index>(i)] <= options.max_domain_score) kept.push_back(std::move(list[i]));
  if (static_cast<int>(kept.size()) < q)
    throw InvalidArgument("propose: only " + std::to_string(kept.size()) + " of the " + std::to_string(list.size()) +
                          " shortlisted candidates are within the trust region (domain score <= " +
                          format_double(options.max_domain_score) + "), fewer than q = " + std::to_string(q) +
                          "; raise --max-distance");
  list = std::move(kept);
}

constexpr double kCompSteps[] = {0.1, 0.05, 0.02, 0.01, 0.005, 0.002, 0.001};
constexpr int kGridSteps[] = {16, 8, 4, 2, 1};
constexpr double kProcSteps[] = {0.2, 0.1, 0.05, 0.02, 0.01, 0.005, 0.002};

int refine_levels(const DesignSpace& space) { return detail::grid_units(space) > 0 && space.num_process() == 0 ? 5 : 7; }

// Feasible neighbours of x at step level `level`: pairwise mass transfers between elements (in grid
// steps when there is a granularity), bounded moves of numeric process parameters, every other
// category of categoricals.
std::vector<Eigen::VectorXd> neighbours(const DesignSpace& space, const Eigen::VectorXd& x, int level) {
  std::vector<Eigen::VectorXd> out;
  const int ne = space.num_elements();
  const int total = detail::grid_units(space);
  const auto& els = space.spec().composition.elements;
  auto push = [&](Eigen::VectorXd y) {
    if (space.is_feasible(y)) out.push_back(std::move(y));
  };
  if (ne > 1) {
    double step = total > 0 ? static_cast<double>(kGridSteps[std::min(level, 4)]) / total : kCompSteps[level];
    for (int i = 0; i < ne; ++i) {
      if (!(x[i] > 0.0)) continue;
      for (int j = 0; j < ne; ++j) {
        if (j == i || els[j].max <= 0.0) continue;
        double t = std::min(step, x[i]);
        Eigen::VectorXd y = x;
        y[i] -= t;
        y[j] += t;
        if (total > 0) {
          y[i] = std::round(y[i] * total) / total;
          y[j] = std::round(y[j] * total) / total;
        }
        push(std::move(y));
        if (x[j] == 0.0 && t < x[i]) {  // swap i out for j entirely (cardinality-neutral)
          Eigen::VectorXd z = x;
          z[j] = z[i];
          z[i] = 0.0;
          push(std::move(z));
        }
      }
    }
  }
  for (int k = 0; k < space.num_process(); ++k) {
    const auto& q = space.spec().process[k];
    const int c = ne + k;
    if (q.kind == ParameterKind::Categorical) {
      for (std::size_t v = 0; v < q.categories.size(); ++v) {
        if (static_cast<double>(v) == x[c]) continue;
        Eigen::VectorXd y = x;
        y[c] = static_cast<double>(v);
        push(std::move(y));
      }
      continue;
    }
    double frac = kProcSteps[std::min(level, 6)];
    for (int sign : {-1, 1}) {
      Eigen::VectorXd y = x;
      if (q.kind == ParameterKind::Integer) {
        double d = std::max(1.0, std::round(frac * (q.upper - q.lower)));
        y[c] = std::clamp(x[c] + sign * d, std::ceil(q.lower), std::floor(q.upper));
      } else if (q.log_scale) {
        double r = std::log(q.upper) - std::log(q.lower);
        y[c] = std::clamp(std::exp(std::log(x[c]) + sign * frac * r), q.lower, q.upper);
      } else {
        y[c] = std::clamp(x[c] + sign * frac * (q.upper - q.lower), q.lower, q.upper);
      }
      if (y[c] != x[c]) push(std::move(y));
    }
  }
  return out;
}

Eigen::MatrixXd stack(const std::vector<Eigen::VectorXd>& rows, int dim) {
  Eigen::MatrixXd m(static_cast<Eigen::Index>(rows.size()), dim);
  for (std::size_t i = 0; i < rows.size(); ++i) m.row(static_cast<Eigen::Index>(i)) = rows[i].transpose();
  return m;
}

Eigen::MatrixXd featurize_or_empty(const FeatureFn& f, const Eigen::MatrixXd& P, Eigen::Index feature_cols) {
  if (P.rows() == 0) return Eigen::MatrixXd(0, feature_cols);
  return f(P);
}

}  // namespace

ProposeResult propose(const DesignSpace& space, const PosteriorModel& model, const FeatureFn& to_model_inputs,
                      const Eigen::MatrixXd& observed_points, const Eigen::MatrixXd& observed_Y,
                      const Eigen::MatrixXd& pending_points, const ProposeOptions& options) {
  const int d = space.dimension();
  const int q = options.batch.q;
  if (q < 1) throw InvalidArgument("propose: q must be >= 1, got " + std::to_string(q));
  if (observed_points.rows() > 0 && observed_points.cols() != d)
    throw InvalidArgument("propose: observed points have " + std::to_string(observed_points.cols()) + " columns, the design space has " + std::to_string(d));
  if (pending_points.rows() > 0 && pending_points.cols() != d)
    throw InvalidArgument("propose: pending points have " + std::to_string(pending_points.cols()) + " columns, the design space has " + std::to_string(d));
  if (observed_Y.rows() != observed_points.rows())
    throw InvalidArgument("propose: " + std::to_string(observed_points.rows()) + " observed points but " + std::to_string(observed_Y.rows()) + " rows of outputs");
  if (model.num_outputs() != static_cast<int>(space.output_names().size()))
    throw InvalidArgument("propose: the model has " + std::to_string(model.num_outputs()) + " outputs, the design space needs " +
                          std::to_string(space.output_names().size()));

  detail::PointSet taken(options.duplicate_tolerance);
  for (Eigen::Index r = 0; r < observed_points.rows(); ++r) taken.insert(observed_points.row(r).transpose());
  for (Eigen::Index r = 0; r < pending_points.rows(); ++r) taken.insert(pending_points.row(r).transpose());

  const auto t_start = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::to_string(std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count()); };
  const int threads = thread_count(options.threads);
  Scorer score{space, model, to_model_inputs, observed_Y, options.batch, threads, &options};
  const std::size_t shortlist = static_cast<std::size_t>(std::max(options.batch.shortlist, q));
  Shortlist best(std::max<std::size_t>(shortlist, 1));
  std::size_t scored = 0;

  const bool memory_pool = options.pool.rows() > 0;
  if (memory_pool && options.pool.cols() != d)
    throw InvalidArgument("propose: the candidate rows have " + std::to_string(options.pool.cols()) + " columns, the design space has " + std::to_string(d));
  // One chunk of pool rows: drop measured/pending ones, score the rest, keep the best.
  auto score_chunk = [&](const Eigen::MatrixXd& points, const std::vector<std::size_t>& rows) {
    std::vector<Eigen::Index> keep;
    keep.reserve(rows.size());
    for (Eigen::Index r = 0; r < points.rows(); ++r)
      if (!taken.contains(points.row(r).transpose())) keep.push_back(r);
    Eigen::MatrixXd P = points(keep, Eigen::all);
    Eigen::VectorXd s = score(P);
    for (std::size_t i = 0; i < keep.size(); ++i)
      best.offer({s[static_cast<Eigen::Index>(i)], rows[keep[i]], P.row(static_cast<Eigen::Index>(i)).transpose(), rows[keep[i]]});
    scored += keep.size();
  };
  if (memory_pool) {
    const auto n = static_cast<std::size_t>(options.pool.rows());
    const std::size_t step = std::max<std::size_t>(options.chunk_rows, 1);
    for (std::size_t b = 0; b < n; b += step) {
      const std::size_t e = std::min(n, b + step);
      std::vector<std::size_t> rows(e - b);
      for (std::size_t i = 0; i < rows.size(); ++i) rows[i] = b + i + 1;
      score_chunk(options.pool.middleRows(static_cast<Eigen::Index>(b), static_cast<Eigen::Index>(e - b)), rows);
    }
  } else if (space.has_pool()) {
    for_each_pool_chunk(space, space.spec().pool->file, options.chunk_rows, score_chunk);
  } else {
    Eigen::MatrixXd raw = sample_design_points(space, std::max(options.raw_samples, q), derive_seed(options.batch.seed, 0x5A3F));
    std::vector<Eigen::VectorXd> cands;
    detail::PointSet seen(options.duplicate_tolerance);
    for (Eigen::Index r = 0; r < raw.rows(); ++r) {
      Eigen::VectorXd p = raw.row(r).transpose();
      if (taken.contains(p) || seen.contains(p)) continue;
      seen.insert(p);
      cands.push_back(std::move(p));
    }
    Eigen::VectorXd s = score(stack(cands, d));
    scored += cands.size();

    // Kriging-believer rounds: each round refines the best samples under the current believed data,
    // then appends the model's mean at the round's best point as if it had been measured, so later
    // rounds move to other parts of the front. Pending points are believed from the start. Every
    // refined end point goes on the shortlist; select_batch then chooses the batch jointly.
    Eigen::MatrixXd believed_Y = observed_Y;
    auto believe = [&](const Eigen::MatrixXd& P) {
      if (P.rows() == 0) return;
      auto pred = model.predict(to_model_inputs(P));
      const Eigen::Index n0 = believed_Y.rows();
      believed_Y.conservativeResize(n0 + P.rows(), Eigen::NoChange);
      for (std::size_t k = 0; k < pred.size(); ++k) believed_Y.col(static_cast<Eigen::Index>(k)).tail(P.rows()) = pred[k].mean;
    };
    believe(pending_points);
    const int levels = refine_levels(space);
    const int rounds = options.refine_starts > 0 ? std::clamp(options.believer_rounds, 1, q) : 0;
    std::vector<Eigen::VectorXd> refined;
    detail::PointSet refined_seen(options.duplicate_tolerance);
    struct Start {
      Eigen::VectorXd x;
      double score;
      int level = 0;
    };
    for (int round = 0; round < rounds; ++round) {
      check_cancelled();
      Scorer sc{space, model, to_model_inputs, believed_Y, options.batch, threads, &options};
      Eigen::VectorXd rs = s;
      if (round > 0 || pending_points.rows() > 0) {
        rs = sc(stack(cands, d));
        scored += cands.size();
      }
      std::vector<std::size_t> order(cands.size());
      for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
      std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return rs[static_cast<Eigen::Index>(a)] > rs[static_cast<Eigen::Index>(b)]; });
      std::vector<Start> starts;
      for (std::size_t i = 0; i < order.size() && static_cast<int>(starts.size()) < options.refine_starts; ++i)
        starts.push_back({cands[order[i]], rs[static_cast<Eigen::Index>(order[i])], 0});
      // All starts advance together so that each step is one scoring batch.
      for (int it = 0; it < options.refine_iterations; ++it) {
        std::vector<Eigen::VectorXd> nb;
        std::vector<std::pair<std::size_t, std::size_t>> span;  // per start: [begin, end) in nb
        for (auto& st : starts) {
          std::size_t b = nb.size();
          if (st.level < levels)
            for (auto& y : neighbours(space, st.x, st.level))
              if (!taken.contains(y)) nb.push_back(std::move(y));
          span.emplace_back(b, nb.size());
        }
        if (nb.empty()) break;
        Eigen::VectorXd ns = sc(stack(nb, d));
        scored += nb.size();
        bool active = false;
        for (std::size_t k = 0; k < starts.size(); ++k) {
          auto& st = starts[k];
          if (st.level >= levels) continue;
          std::size_t arg = span[k].second;
          double top = st.score;
          for (std::size_t i = span[k].first; i < span[k].second; ++i)
            if (ns[static_cast<Eigen::Index>(i)] > top) {
              top = ns[static_cast<Eigen::Index>(i)];
              arg = i;
            }
          if (arg < span[k].second) {
            st.x = nb[arg];
            st.score = top;
          } else {
            ++st.level;  // no improving move at this step size: try smaller ones
          }
          active = active || st.level < levels;
        }
        if (!active) break;
      }
      if (starts.empty()) break;
      std::size_t pick = 0;
      for (std::size_t k = 0; k < starts.size(); ++k) {
        if (starts[k].score > starts[pick].score) pick = k;
        if (!refined_seen.contains(starts[k].x) && !seen.contains(starts[k].x)) {
          refined_seen.insert(starts[k].x);
          refined.push_back(starts[k].x);
        }
      }
      if (round + 1 < rounds) believe(starts[pick].x.transpose());
    }
    // Refined points are always shortlisted (rank by discovery); the rest by their first-round score.
    for (std::size_t i = 0; i < refined.size(); ++i) best.offer({std::numeric_limits<double>::infinity(), i, refined[i], 0});
    for (std::size_t i = 0; i < cands.size(); ++i) best.offer({s[static_cast<Eigen::Index>(i)], refined.size() + i, cands[i], 0});
  }

  auto list = best.sorted();
  log_debug("propose: " + std::to_string(scored) + " candidates scored in " + elapsed() + " s");
  if (options.domain_score) drop_outside_trust_region(list, to_model_inputs, options, d, q);
  if (static_cast<int>(list.size()) < q)
    throw InvalidArgument("propose: only " + std::to_string(list.size()) + " new feasible candidates remain (" +
                          std::to_string(taken.size()) + " points already measured or pending), fewer than q = " + std::to_string(q));
  std::vector<Eigen::VectorXd> short_points;
  for (auto& e : list) short_points.push_back(e.point);
  Eigen::MatrixXd S = stack(short_points, d);
  Eigen::MatrixXd SX = to_model_inputs(S);
  Eigen::MatrixXd OX = featurize_or_empty(to_model_inputs, observed_points, SX.cols());
  Eigen::MatrixXd PX = featurize_or_empty(to_model_inputs, pending_points, SX.cols());
  BatchOptions bo = options.batch;
  BatchResult br = select_batch(model, space.objectives(), space.outcome_constraints(), OX, observed_Y, PX, SX, bo);
  if (static_cast<int>(br.indices.size()) != q)
    throw NumericalError("propose: select_batch returned " + std::to_string(br.indices.size()) + " points, expected " + std::to_string(q));

  ProposeResult res;
  res.points.resize(q, d);
  for (int k = 0; k < q; ++k) {
    Eigen::Index idx = br.indices[static_cast<std::size_t>(k)];
    if (idx < 0 || idx >= S.rows()) throw NumericalError("propose: select_batch returned an out-of-range index");
    res.points.row(k) = S.row(idx);
    // Verified, not trusted: every proposed point is checked against the space again.
    auto v = space.validate(S.row(idx).transpose());
    if (!v.empty()) throw NumericalError("propose: internal error, a proposed point violates the design space: " + describe(v));
    if (memory_pool || space.has_pool()) res.pool_rows.push_back(list[static_cast<std::size_t>(idx)].tag);
  }
  res.acquisition_values = br.acquisition_values;
  Eigen::MatrixXd PXq = to_model_inputs(res.points);
  auto pred = model.predict(PXq);
  const int m = model.num_outputs();
  res.mean.resize(q, m);
  res.std.resize(q, m);
  for (int k = 0; k < m; ++k) {
    res.mean.col(k) = pred[static_cast<std::size_t>(k)].mean;
    res.std.col(k) = pred[static_cast<std::size_t>(k)].std();
  }
  res.candidates_scored = scored;
  log_debug("propose: batch of " + std::to_string(q) + " selected from a shortlist of " + std::to_string(list.size()) + ", " + elapsed() + " s in all");
  return res;
}

}  // namespace matopt
