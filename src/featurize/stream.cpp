// SPDX-License-Identifier: MIT
#include "matopt/featurize/stream.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <string_view>

#include "core/parallel.hpp"
#include "matopt/core/atomic_file.hpp"
#include "matopt/core/csv.hpp"
#include "matopt/core/error.hpp"
#include "matopt/core/log.hpp"
#include "matopt/featurize/featurizer.hpp"

namespace matopt {

std::size_t format_feature_value(double value, char* buf) noexcept {
  if (std::isnan(value)) return 0;
  // Shortest round-trip form, like format_double, without the std::string per value.
  auto res = std::to_chars(buf, buf + 32, value);
  return static_cast<std::size_t>(res.ptr - buf);
}

namespace {

void append_row(std::string& out, std::string_view id, const double* row, std::size_t d) {
  out += csv_escape(id);
  char buf[32];
  for (std::size_t k = 0; k < d; ++k) {
    out.push_back(',');
    out.append(buf, format_feature_value(row[k], buf));
  }
  out.push_back('\n');
}

}  // namespace

std::size_t featurize_csv_stream(const std::filesystem::path& input, const std::filesystem::path& output,
                                 const StreamFeaturizeOptions& options) {
  FeaturizerOptions fo;
  fo.impute_missing = options.impute_missing;
  fo.strict_missing = options.strict_missing;
  fo.elements = options.elements;
  auto f = make_featurizer(options.features, fo);
  if (f->needs_fit())
    throw InvalidArgument("streaming featurization of 'fractions' needs a fixed element list (pass elements)");
  const std::size_t d = f->size();
  const std::size_t chunk = std::max<std::size_t>(1, options.chunk_rows);
  const unsigned threads = detail::resolve_threads(options.threads);
  const std::string file = input.string();

  AtomicFile atomic(output);
  std::ofstream os(atomic.temp_path(), std::ios::binary);
  if (!os) throw IOError("cannot write " + atomic.temp_path().string());

  std::size_t comp_col = 0, id_col = 0;
  bool have_id = false;
  std::string comp_name;
  std::vector<std::string> formulas, ids;
  std::vector<std::size_t> lines;
  std::vector<std::string_view> views;
  std::vector<double> buf;
  std::vector<std::string> text(threads);
  std::size_t written = 0;
  formulas.reserve(chunk);
  ids.reserve(chunk);
  lines.reserve(chunk);

  auto flush = [&] {
    const std::size_t n = formulas.size();
    if (n == 0) return;
    views.assign(formulas.begin(), formulas.end());
    buf.resize(n * d);
    // Rows are contiguous in the chunk but their file lines may not be (quoted newlines), so parse
    // here per thread and report the file line of a bad row ourselves.
    detail::parallel_chunks(n, threads, 1024, [&](std::size_t b, std::size_t e) {
      Composition comp;
      for (std::size_t i = b; i < e; ++i) {
        try {
          Composition::parse_into(views[i], comp, options.formula);
        } catch (const FormulaError& err) {
          throw DataError(format_location(Location{file, lines[i], comp_name, formulas[i]},
                                          std::string("bad formula: ") + err.what()));
        }
        try {
          f->featurize(comp, buf.data() + i * d, lines[i]);
        } catch (const DataError& err) {
          throw DataError(file + ": column '" + comp_name + "': " + err.what());
        }
      }
    });
    // Formatting text dominates the cost, so it is split over the threads too; each thread fills its
    // own buffer for a contiguous block and the blocks are written in order.
    const std::size_t blocks = std::min<std::size_t>(threads, std::max<std::size_t>(1, n / 512));
    detail::parallel_chunks(blocks, threads, 1, [&](std::size_t bb, std::size_t be) {
      for (std::size_t blk = bb; blk < be; ++blk) {
        std::string& out = text[blk];
        out.clear();
        for (std::size_t i = n * blk / blocks; i < n * (blk + 1) / blocks; ++i)
          append_row(out, ids[i], buf.data() + i * d, d);
      }
    });
    for (std::size_t blk = 0; blk < blocks; ++blk) os.write(text[blk].data(), static_cast<std::streamsize>(text[blk].size()));
    if (!os) throw IOError("write failed: " + atomic.temp_path().string());
    written += n;
    formulas.clear();
    ids.clear();
    lines.clear();
  };

  std::size_t data_row = 0;
  for_each_csv_row(
      input,
      [&](const std::vector<std::string>& header) {
        if (header.empty()) throw DataError(file + ": empty header");
        comp_col = 0;
        if (!options.composition_column.empty()) {
          auto it = std::find(header.begin(), header.end(), options.composition_column);
          if (it == header.end()) {
            std::string names;
            for (const auto& h : header) {
              if (!names.empty()) names += ", ";
              names += h;
            }
            throw DataError(file + ": no column '" + options.composition_column + "' (columns: " + names + ")");
          }
          comp_col = static_cast<std::size_t>(it - header.begin());
        }
        comp_name = header[comp_col];
        if (!options.id_column.empty()) {
          auto it = std::find(header.begin(), header.end(), options.id_column);
          if (it == header.end()) throw DataError(file + ": no id column '" + options.id_column + "'");
          id_col = static_cast<std::size_t>(it - header.begin());
          have_id = true;
        }
        std::string line = csv_escape(have_id ? header[id_col] : std::string("id"));
        for (const auto& l : f->labels()) {
          line += ',';
          line += csv_escape(l);
        }
        line += "\n";
        os.write(line.data(), static_cast<std::streamsize>(line.size()));
      },
      [&](const std::vector<std::string>& cells, std::size_t line) {
        ++data_row;
        formulas.push_back(cells.at(comp_col));
        ids.push_back(have_id ? cells.at(id_col) : std::to_string(data_row));
        lines.push_back(line);
        if (formulas.size() >= chunk) flush();
        return true;
      });
  flush();
  os.close();
  if (!os) throw IOError("write failed: " + atomic.temp_path().string());
  atomic.commit();
  log_info("featurized " + std::to_string(written) + " rows into " + output.string());
  return written;
}

}  // namespace matopt
