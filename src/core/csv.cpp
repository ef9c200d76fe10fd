// SPDX-License-Identifier: MIT
#include "matopt/core/csv.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <sstream>

#include "matopt/core/atomic_file.hpp"
#include "matopt/core/error.hpp"

namespace matopt {

namespace {

// Incremental RFC 4180 record reader over a text buffer.
class RecordReader {
 public:
  RecordReader(std::string_view text, const std::string& name, const CsvLimits& limits, std::size_t first_line = 1,
               bool at_file_start = true)
      : t_(text), name_(name), limits_(limits), line_(first_line) {
    if (at_file_start && t_.size() >= 3 && static_cast<unsigned char>(t_[0]) == 0xEF && static_cast<unsigned char>(t_[1]) == 0xBB &&
        static_cast<unsigned char>(t_[2]) == 0xBF)
      pos_ = 3;
  }

  // Reads one record into `cells`; returns false at end of input. `line` receives the record's first line.
  bool next(std::vector<std::string>& cells, std::size_t& line) {
    cells.clear();
    // Skip blank lines between records (a trailing newline, or empty lines at the end).
    while (pos_ < t_.size() && (t_[pos_] == '\n' || t_[pos_] == '\r')) {
      if (t_[pos_] == '\n') ++line_;
      else if (pos_ + 1 >= t_.size() || t_[pos_ + 1] != '\n') ++line_;  // lone CR ends a line too
      ++pos_;
    }
    if (pos_ >= t_.size()) return false;
    line = line_;
    std::string cell;
    while (true) {
      cell.clear();
      if (pos_ < t_.size() && t_[pos_] == '"') {
        const std::size_t open_line = line_;
        ++pos_;
        while (true) {
          if (pos_ >= t_.size())
            throw DataError(format_location({name_, open_line, column_name(cells.size()), ""},
                                            "quoted field is never closed (missing '\"')"));
          const char c = t_[pos_];
          if (c == '"') {
            if (pos_ + 1 < t_.size() && t_[pos_ + 1] == '"') {
              cell += '"';
              pos_ += 2;
              continue;
            }
            ++pos_;
            break;
          }
          if (c == '\n') ++line_;
          cell += c;
          ++pos_;
          check_size(cell, cells.size());
        }
        // After the closing quote only a separator or end of record may follow.
        if (pos_ < t_.size() && t_[pos_] != ',' && t_[pos_] != '\n' && t_[pos_] != '\r')
          throw DataError(format_location({name_, line_, column_name(cells.size()), std::string(1, t_[pos_])},
                                          "unexpected text after a closing quote (expected ',' or end of line)"));
      } else {
        const std::size_t start = pos_;
        while (pos_ < t_.size() && t_[pos_] != ',' && t_[pos_] != '\n' && t_[pos_] != '\r') ++pos_;
        cell.assign(t_.data() + start, pos_ - start);
        check_size(cell, cells.size());
      }
      cells.push_back(cell);
      if (cells.size() > limits_.max_columns)
        throw DataError(format_location({name_, line, "", ""}, "more than " + std::to_string(limits_.max_columns) + " columns"));
      if (pos_ >= t_.size()) break;
      if (t_[pos_] == ',') {
        ++pos_;
        if (pos_ >= t_.size()) {  // "a,b," ends with an empty cell
          cells.emplace_back();
          break;
        }
        continue;
      }
      // End of record: CRLF, LF or lone CR.
      if (t_[pos_] == '\r') ++pos_;
      if (pos_ < t_.size() && t_[pos_] == '\n') ++pos_;
      ++line_;
      break;
    }
    return true;
  }

  void set_header(const std::vector<std::string>* h) { header_ = h; }
  std::size_t line() const noexcept { return line_; }

 private:
  std::string column_name(std::size_t i) const {
    if (header_ && i < header_->size()) return (*header_)[i];
    return "#" + std::to_string(i + 1);
  }
  void check_size(const std::string& cell, std::size_t col) const {
    if (cell.size() > limits_.max_field_bytes)
      throw DataError(format_location({name_, line_, column_name(col), ""},
                                      "cell longer than " + std::to_string(limits_.max_field_bytes) + " bytes"));
  }

  std::string_view t_;
  const std::string& name_;
  const CsvLimits& limits_;
  std::size_t pos_ = 0;
  std::size_t line_;
  const std::vector<std::string>* header_ = nullptr;
};

void check_width(const std::string& name, const std::vector<std::string>& header, const std::vector<std::string>& cells,
                 std::size_t line) {
  if (cells.size() != header.size())
    throw DataError(format_location({name, line, "", ""}, "expected " + std::to_string(header.size()) +
                                                              " cells as in the header, found " + std::to_string(cells.size())));
}

}  // namespace

std::size_t CsvTable::column(std::string_view name) const {
  for (std::size_t i = 0; i < header.size(); ++i)
    if (header[i] == name) return i;
  std::string msg = "no column named '" + std::string(name) + "'; columns are:";
  for (const auto& h : header) msg += " '" + h + "'";
  throw DataError(format_location({file, 0, "", ""}, msg));
}

CsvTable parse_csv(std::string_view text, const std::string& name, const CsvLimits& limits) {
  CsvTable t;
  t.file = name;
  RecordReader r(text, name, limits);
  std::size_t line = 0;
  if (!r.next(t.header, line)) throw DataError(format_location({name, 0, "", ""}, "empty CSV file (no header row)"));
  r.set_header(&t.header);
  std::vector<std::string> cells;
  while (r.next(cells, line)) {
    check_width(name, t.header, cells, line);
    t.rows.push_back(cells);
    t.line_of_row.push_back(line);
  }
  return t;
}


namespace {

// Length of the longest prefix of `text` made of complete records: it ends just after a line break
// that is outside quotes (a CR is only taken when the next character is known not to be LF). Quotes
// open a quoted field only at the start of a field, as RecordReader reads them.
std::size_t complete_records_prefix(std::string_view text) {
  std::size_t boundary = 0;
  bool in_quotes = false, field_start = true;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_quotes) {
      if (c != '"') continue;
      if (i + 1 >= text.size()) break;  // "" or closing quote: decided by the next block
      if (text[i + 1] == '"') ++i;
      else in_quotes = false;
      continue;
    }
    if (c == '"' && field_start) {
      in_quotes = true;
      field_start = false;
    } else if (c == ',') {
      field_start = true;
    } else if (c == '\n') {
      boundary = i + 1;
      field_start = true;
    } else if (c == '\r') {
      if (i + 1 < text.size() && text[i + 1] != '\n') boundary = i + 1;
      field_start = true;
    } else {
      field_start = false;
    }
  }
  return boundary;
}

}  // namespace

void for_each_csv_row(const std::filesystem::path& path,
                      const std::function<void(const std::vector<std::string>& header)>& on_header,
                      const std::function<bool(const std::vector<std::string>& cells, std::size_t line)>& on_row,
                      const CsvLimits& limits) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw IOError(path.string() + ": no such file");
  if (std::filesystem::is_directory(path, ec)) throw IOError(path.string() + ": is a directory, expected a CSV file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IOError(path.string() + ": cannot open for reading");
  const std::string name = path.string();
  const std::size_t block = std::max<std::size_t>(1, limits.stream_block_bytes);

  std::string buffer;  // unconsumed text: at most one incomplete record plus one block
  std::vector<std::string> header, cells;
  bool have_header = false, at_file_start = true;
  std::size_t next_line = 1;
  // Parses the complete records of `text`; returns false when the caller asked to stop.
  auto consume = [&](std::string_view text) {
    RecordReader r(text, name, limits, next_line, at_file_start);
    at_file_start = false;
    std::size_t line = 0;
    if (!have_header) {
      if (!r.next(header, line)) {
        next_line = r.line();
        return true;
      }
      have_header = true;
      if (on_header) on_header(header);
    }
    r.set_header(&header);
    while (r.next(cells, line)) {
      check_width(name, header, cells, line);
      if (!on_row(cells, line)) return false;
    }
    next_line = r.line();
    return true;
  };

  std::string chunk(block, '\0');
  while (true) {
    in.read(chunk.data(), static_cast<std::streamsize>(block));
    const std::size_t got = static_cast<std::size_t>(in.gcount());
    if (in.bad()) throw IOError(name + ": read error");
    if (got == 0) break;
    buffer.append(chunk.data(), got);
    const std::size_t done = complete_records_prefix(buffer);
    if (done == 0) {
      if (buffer.size() > limits.max_record_bytes)
        throw DataError(format_location({name, next_line, "", ""},
                                        "row longer than " + std::to_string(limits.max_record_bytes) + " bytes"));
      continue;
    }
    if (!consume(std::string_view(buffer).substr(0, done))) return;
    buffer.erase(0, done);
  }
  if (!buffer.empty() && !consume(buffer)) return;
  if (!have_header) throw DataError(format_location({name, 0, "", ""}, "empty CSV file (no header row)"));
}

CsvTable read_csv(const std::filesystem::path& path, const CsvLimits& limits) {
  // Built on the streaming reader so that an absurd row (a 1 GB line) is refused after
  // max_record_bytes, not after reading the whole file into memory.
  CsvTable t;
  t.file = path.string();
  for_each_csv_row(
      path, [&](const std::vector<std::string>& header) { t.header = header; },
      [&](const std::vector<std::string>& cells, std::size_t line) {
        t.rows.push_back(cells);
        t.line_of_row.push_back(line);
        return true;
      },
      limits);
  return t;
}

std::string_view trim_blanks(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string csv_escape(std::string_view cell) {
  if (cell.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(cell);
  std::string out = "\"";
  for (char c : cell) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

void write_csv(const std::filesystem::path& path, const std::vector<std::string>& header,
               const std::vector<std::vector<std::string>>& rows) {
  for (std::size_t i = 0; i < rows.size(); ++i)
    if (rows[i].size() != header.size())
      throw InvalidArgument("write_csv: row " + std::to_string(i + 2) + " has " + std::to_string(rows[i].size()) +
                            " cells, header has " + std::to_string(header.size()));
  AtomicFile file(path);
  {
    std::ofstream out(file.temp_path(), std::ios::binary | std::ios::trunc);
    if (!out) throw IOError(path.string() + ": cannot create file (check the folder exists and is writable)");
    auto write_row = [&out](const std::vector<std::string>& r) {
      for (std::size_t i = 0; i < r.size(); ++i) {
        if (i) out << ',';
        out << csv_escape(r[i]);
      }
      out << '\n';
    };
    write_row(header);
    for (const auto& r : rows) write_row(r);
    out.flush();
    if (!out) throw IOError(path.string() + ": write failed (disk full?)");
  }
  file.commit();
}

std::string format_for_people(double value) {
  if (std::isnan(value)) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", value);
  return buf;
}

std::string format_double(double value) {
  if (std::isnan(value)) return "";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  char buf[32];
  // Shortest of %.15g..%.17g that reads back exactly.
  for (int p = 15; p <= 17; ++p) {
    std::snprintf(buf, sizeof buf, "%.*g", p, value);
    double back = 0;
    std::from_chars(buf, buf + std::char_traits<char>::length(buf), back);
    if (back == value) break;
  }
  return buf;
}

bool parse_double(std::string_view text, double& out) noexcept {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  if (text.empty()) return false;
  if (text.front() == '+') text.remove_prefix(1);
  double v = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size()) return false;
  if (std::isnan(v)) return false;  // "nan" is not a number a user meant; empty cells are the missing marker
  out = v;
  return true;
}

}  // namespace matopt
