// The streaming CSV reader must give exactly what the whole-file parser gives, wherever the read
// blocks happen to split the text (inside quotes, between CR and LF, inside "" escapes, in the BOM).
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "matopt/core/csv.hpp"
#include "matopt/core/error.hpp"

namespace fs = std::filesystem;
using namespace matopt;

namespace {

struct Rows {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::vector<std::size_t> lines;
};

Rows stream(const fs::path& file, std::size_t block) {
  Rows out;
  CsvLimits limits;
  limits.stream_block_bytes = block;
  for_each_csv_row(
      file, [&](const std::vector<std::string>& h) { out.header = h; },
      [&](const std::vector<std::string>& cells, std::size_t line) {
        out.rows.push_back(cells);
        out.lines.push_back(line);
        return true;
      },
      limits);
  return out;
}

fs::path write_temp(const std::string& name, const std::string& text) {
  const fs::path p = fs::temp_directory_path() / ("matopt_test_csv_stream_" + name);
  std::ofstream(p, std::ios::binary) << text;
  return p;
}

}  // namespace

TEST_CASE("for_each_csv_row equals parse_csv for every block size", "[csv][stream]") {
  const std::string text =
      "\xEF\xBB\xBF" "id,formula,note\r\n"
      "1,Fe2O3,\"plain\"\r\n"
      "2,\"NaCl\",\"two\r\nlines, and a comma\"\r\n"
      "\r\n"
      "3,CuSO4.5H2O,\"say \"\"hi\"\"\"\n"
      "4,Ni,\n"
      "5,Co,\"\"\r"
      "6,Mn,last";
  const fs::path file = write_temp("tricky.csv", text);
  const CsvTable whole = parse_csv(text, file.string());
  REQUIRE(whole.rows.size() == 6);
  REQUIRE(whole.rows[1][2] == "two\r\nlines, and a comma");
  REQUIRE(whole.rows[2][2] == "say \"hi\"");
  for (std::size_t block : {1, 2, 3, 4, 5, 7, 11, 13, 17, 64, 4096}) {
    INFO("block " << block);
    const Rows s = stream(file, block);
    CHECK(s.header == whole.header);
    CHECK(s.rows == whole.rows);
    CHECK(s.lines == whole.line_of_row);
  }
  fs::remove(file);
}

TEST_CASE("for_each_csv_row refuses a row longer than the record limit", "[csv][stream]") {
  const fs::path file = write_temp("long.csv", "a,b\n" + std::string(5000, 'x') + ",1\n");
  CsvLimits limits;
  limits.stream_block_bytes = 256;
  limits.max_record_bytes = 1000;
  try {
    for_each_csv_row(file, nullptr, [](const std::vector<std::string>&, std::size_t) { return true; }, limits);
    FAIL("no error");
  } catch (const DataError& e) {
    CHECK_THAT(e.what(), Catch::Contains("row 2") && Catch::Contains("longer than 1000 bytes"));
  }
  fs::remove(file);
}

TEST_CASE("for_each_csv_row stops when asked and reports empty files", "[csv][stream]") {
  const fs::path file = write_temp("stop.csv", "a\n1\n2\n3\n");
  int seen = 0;
  for_each_csv_row(file, nullptr, [&](const std::vector<std::string>&, std::size_t) { return ++seen < 2; });
  CHECK(seen == 2);
  const fs::path empty = write_temp("empty.csv", "\n\n");
  CHECK_THROWS_WITH(for_each_csv_row(empty, nullptr, [](const std::vector<std::string>&, std::size_t) { return true; }),
                    Catch::Contains("empty CSV file"));
  fs::remove(file);
  fs::remove(empty);
}

TEST_CASE("read_csv streams: same table as parse_csv, long rows refused at the record limit", "[csv][stream]") {
  const std::string text = "\xEF\xBB\xBFid,formula\r\n1,\"Fe2O3\"\r\n\r\n2,\"a,\"\"b\"\"\nc\"\n3,\n";
  const fs::path file = write_temp("read.csv", text);
  CsvLimits limits;
  limits.stream_block_bytes = 5;  // many block boundaries inside quotes and CRLF
  const CsvTable streamed = read_csv(file, limits);
  const CsvTable whole = parse_csv(text, file.string());
  CHECK(streamed.file == file.string());
  CHECK(streamed.header == whole.header);
  CHECK(streamed.rows == whole.rows);
  CHECK(streamed.line_of_row == whole.line_of_row);
  REQUIRE(streamed.rows.size() == 3);
  CHECK(streamed.rows[1][1] == "a,\"b\"\nc");

  const fs::path long_file = write_temp("read_long.csv", "a,b\n" + std::string(5000, 'x'));  // no newline at all
  limits.max_record_bytes = 1000;
  try {
    (void)read_csv(long_file, limits);
    FAIL("no error");
  } catch (const DataError& e) {
    CHECK_THAT(e.what(), Catch::Contains("read_long.csv") && Catch::Contains("row 2") && Catch::Contains("longer than 1000 bytes"));
  }
  fs::remove(file);
  fs::remove(long_file);
}
