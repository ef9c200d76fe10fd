// SPDX-License-Identifier: MIT
#include "matopt/optimize/pool.hpp"

#include <algorithm>
#include <cmath>

#include "matopt/core/composition.hpp"
#include "matopt/core/csv.hpp"
#include "matopt/core/elements.hpp"
#include "matopt/core/error.hpp"
#include "matopt/core/log.hpp"
#include "matopt/core/rng.hpp"

namespace matopt {

namespace {

std::string lower_ext(const std::filesystem::path& p) {
  std::string e = p.extension().string();
  std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return e;
}

// Collects feasible points into chunks and hands them on.
class Chunker {
 public:
  Chunker(const DesignSpace& space, std::size_t chunk_rows,
          const std::function<void(const Eigen::MatrixXd&, const std::vector<std::size_t>&)>& fn)
      : space_(space), chunk_(std::max<std::size_t>(chunk_rows, 1)), fn_(fn),
        buf_(static_cast<Eigen::Index>(chunk_), space.dimension()) {}

  void offer(const Eigen::VectorXd& p, std::size_t row) {
    ++stats_.rows_read;
    auto v = space_.validate(p);
    if (!v.empty()) {
      reject(row, v.front().field + ": " + v.front().message);
      return;
    }
    buf_.row(static_cast<Eigen::Index>(rows_.size())) = p.transpose();
    rows_.push_back(row);
    ++stats_.rows_kept;
    if (rows_.size() == chunk_) flush();
  }
  void reject(std::size_t row, const std::string& why) {
    ++stats_.rows_rejected;
    if (stats_.first_rejection.empty()) stats_.first_rejection = "row " + std::to_string(row + 1) + ": " + why;
  }
  void count_read() { ++stats_.rows_read; }
  void flush() {
    if (rows_.empty()) return;
    if (rows_.size() == chunk_) fn_(buf_, rows_);
    else fn_(buf_.topRows(static_cast<Eigen::Index>(rows_.size())).eval(), rows_);
    rows_.clear();
  }
  PoolStats& stats() { return stats_; }

 private:
  const DesignSpace& space_;
  std::size_t chunk_;
  const std::function<void(const Eigen::MatrixXd&, const std::vector<std::size_t>&)>& fn_;
  Eigen::MatrixXd buf_;
  std::vector<std::size_t> rows_;
  PoolStats stats_;
};

}  // namespace

PoolStats for_each_pool_chunk(const DesignSpace& space, const std::filesystem::path& file, std::size_t chunk_rows,
                              const std::function<void(const Eigen::MatrixXd& points,
                                                       const std::vector<std::size_t>& rows)>& on_chunk) {
  const int ne = space.num_elements();
  const int d = space.dimension();
  const auto& spec = space.spec();
  Chunker chunker(space, chunk_rows, on_chunk);
  const std::string ext = lower_ext(file);
  if (ext == ".h5" || ext == ".hdf5") {
    Dataset data = read_dataset_h5(file);
    for (std::size_t r = 0; r < data.rows(); ++r) {
      Eigen::VectorXd p;
      try {
        p = space.point_from_dataset(data, r);
      } catch (const DataError& e) {
        chunker.count_read();
        chunker.reject(r + 1, e.what());
        continue;
      }
      chunker.offer(p, r + 1);
    }
  } else {
    if (!std::filesystem::exists(file)) throw IOError(file.string() + ": candidate pool file not found");
    // Column layout, resolved from the header.
    int comp_col = -1;
    std::vector<int> elem_col(ne, -1), proc_col(space.num_process(), -1);
    std::vector<int> elem_z(ne);
    for (int i = 0; i < ne; ++i) elem_z[i] = element_z(spec.composition.elements[i].symbol);
    std::vector<std::string> header;
    auto on_header = [&](const std::vector<std::string>& h) {
      header = h;
      for (std::size_t c = 0; c < h.size(); ++c) {
        if (ne > 0 && h[c] == spec.composition.column) comp_col = static_cast<int>(c);
        for (int i = 0; i < ne; ++i)
          if (h[c] == spec.composition.elements[i].symbol) elem_col[i] = static_cast<int>(c);
        for (int j = 0; j < space.num_process(); ++j)
          if (h[c] == spec.process[j].name) proc_col[j] = static_cast<int>(c);
      }
      bool have_elements = std::all_of(elem_col.begin(), elem_col.end(), [](int c) { return c >= 0; });
      if (ne > 0 && comp_col < 0 && !have_elements)
        throw DataError(file.string() + ": candidate pool needs a '" + spec.composition.column +
                        "' column of formulas or one fraction column per element (" +
                        [&] {
                          std::string s;
                          for (const auto& e : spec.composition.elements) s += (s.empty() ? "" : ", ") + e.symbol;
                          return s;
                        }() + ")");
      if (have_elements) comp_col = -1;  // fraction columns are exact; prefer them over formulas
      for (int j = 0; j < space.num_process(); ++j)
        if (proc_col[j] < 0)
          throw DataError(file.string() + ": candidate pool has no column '" + spec.process[j].name + "' (process parameter)");
    };
    Eigen::VectorXd p(d);
    Composition comp;
    std::size_t data_row = 0;
    auto on_row = [&](const std::vector<std::string>& cells, std::size_t line) {
      ++data_row;
      p.setZero();
      if (ne > 0) {
        if (comp_col >= 0) {
          try {
            Composition::parse_into(cells[comp_col], comp);
          } catch (const FormulaError& e) {
            throw DataError(format_location({file.string(), line, header[comp_col], cells[comp_col]}, e.what()));
          }
          auto zs = comp.elements();
          auto fs = comp.fractions();
          bool outside = false;
          for (std::size_t k = 0; k < zs.size(); ++k) {
            auto it = std::find(elem_z.begin(), elem_z.end(), zs[k]);
            if (it == elem_z.end()) {
              outside = true;
              break;
            }
            p[it - elem_z.begin()] = fs[k];
          }
          if (outside) {
            chunker.count_read();
            chunker.reject(data_row, "element outside composition.elements in '" + cells[comp_col] + "'");
            return true;
          }
        } else {
          for (int i = 0; i < ne; ++i) {
            const std::string& cell = cells[elem_col[i]];
            double v = 0.0;
            if (!cell.empty() && !parse_double(cell, v))
              throw DataError(format_location({file.string(), line, header[elem_col[i]], cell}, "expected a fraction"));
            p[i] = v;
          }
        }
      }
      for (int j = 0; j < space.num_process(); ++j) {
        const auto& q = spec.process[j];
        const std::string& cell = cells[proc_col[j]];
        if (q.kind == ParameterKind::Categorical) {
          auto it = std::find(q.categories.begin(), q.categories.end(), cell);
          if (it == q.categories.end()) {
            chunker.count_read();
            chunker.reject(data_row, q.name + ": unknown category '" + cell + "'");
            return true;
          }
          p[ne + j] = static_cast<double>(it - q.categories.begin());
        } else {
          double v;
          if (!parse_double(cell, v))
            throw DataError(format_location({file.string(), line, q.name, cell}, "expected a number"));
          p[ne + j] = v;
        }
      }
      chunker.offer(p, data_row);
      return true;
    };
    for_each_csv_row(file, on_header, on_row);
  }
  chunker.flush();
  PoolStats stats = chunker.stats();
  if (stats.rows_rejected > 0)
    log_info(file.string() + ": skipped " + std::to_string(stats.rows_rejected) + " of " + std::to_string(stats.rows_read) +
             " pool rows outside the design space (first: " + stats.first_rejection + ")");
  if (stats.rows_kept == 0)
    throw DataError(file.string() + ": empty candidate pool after filtering: " + std::to_string(stats.rows_read) +
                          " rows read, none inside the design space" +
                          (stats.first_rejection.empty() ? std::string() : " (first rejected: " + stats.first_rejection + ")"));
  return stats;
}

Eigen::MatrixXd sample_pool_points(const DesignSpace& space, int n, std::uint64_t seed, std::vector<std::size_t>* rows) {
  if (!space.has_pool()) throw InvalidArgument("sample_pool_points: the design space has no candidate_pool");
  if (n < 0) throw InvalidArgument("sample_pool_points: n must be >= 0");
  Rng rng(derive_seed(seed, 0x504F4F4C));
  std::vector<std::pair<std::size_t, Eigen::VectorXd>> keep;  // reservoir of (row, point)
  std::uint64_t seen = 0;
  for_each_pool_chunk(space, space.spec().pool->file, 8192, [&](const Eigen::MatrixXd& P, const std::vector<std::size_t>& r) {
    for (Eigen::Index i = 0; i < P.rows(); ++i, ++seen) {
      if (keep.size() < static_cast<std::size_t>(n)) {
        keep.emplace_back(r[static_cast<std::size_t>(i)], P.row(i).transpose());
      } else if (n > 0) {
        std::uint64_t j = uniform_index(rng, seen + 1);
        if (j < static_cast<std::uint64_t>(n)) keep[j] = {r[static_cast<std::size_t>(i)], P.row(i).transpose()};
      }
    }
  });
  std::sort(keep.begin(), keep.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  Eigen::MatrixXd out(static_cast<Eigen::Index>(keep.size()), space.dimension());
  if (rows) rows->clear();
  for (std::size_t k = 0; k < keep.size(); ++k) {
    out.row(static_cast<Eigen::Index>(k)) = keep[k].second.transpose();
    if (rows) rows->push_back(keep[k].first);
  }
  return out;
}

void write_pool_csv(const DesignSpace& space, const Eigen::MatrixXd& points, const std::filesystem::path& file) {
  std::vector<std::string> header = space.coordinate_names();
  const int ne = space.num_elements();
  std::vector<std::vector<std::string>> rows;
  rows.reserve(static_cast<std::size_t>(points.rows()));
  for (Eigen::Index r = 0; r < points.rows(); ++r) {
    std::vector<std::string> row;
    for (int c = 0; c < space.dimension(); ++c) {
      if (c >= ne && space.spec().process[c - ne].kind == ParameterKind::Categorical)
        row.push_back(space.spec().process[c - ne].categories.at(static_cast<std::size_t>(points(r, c))));
      else
        row.push_back(format_double(points(r, c)));
    }
    rows.push_back(std::move(row));
  }
  write_csv(file, header, rows);
}

}  // namespace matopt
