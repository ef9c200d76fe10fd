// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "matopt/core/csv.hpp"
#include "matopt/core/error.hpp"
#include "matopt/featurize/featurizer.hpp"
#include "matopt/featurize/stream.hpp"

using namespace matopt;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    std::string name = "matopt_feat_stream_";
    name += std::to_string(::getpid());
    path = fs::temp_directory_path() / name;
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
};

void write_text(const fs::path& p, const std::string& s) {
  std::ofstream os(p, std::ios::binary);
  os << s;
}

}  // namespace

TEST_CASE("stream: chunked CSV output equals in-memory featurization, bit for bit", "[stream]") {
  TempDir tmp;
  const char* base[] = {"Fe2O3", "NaCl", "\"Mg3[Fe(CN)6]2\"", "CuSO4·5H2O", "Fe0.7Ni0.3", "HeFe3", "Pt1 C1"};
  const char* plain[] = {"Fe2O3", "NaCl", "Mg3[Fe(CN)6]2", "CuSO4·5H2O", "Fe0.7Ni0.3", "HeFe3", "Pt1 C1"};
  std::string text = "name,formula\n";
  std::vector<std::string_view> formulas;
  for (int i = 0; i < 1000; ++i) {
    text += 'm';
    text += std::to_string(i);
    text += ',';
    text += base[i % 7];
    text += '\n';
    formulas.emplace_back(plain[i % 7]);
  }
  write_text(tmp.path / "in.csv", text);
  StreamFeaturizeOptions o;
  o.features = "magpie+valence_orbital";
  o.composition_column = "formula";
  o.id_column = "name";
  o.chunk_rows = 97;  // many chunks, last one partial
  o.threads = 3;
  REQUIRE(featurize_csv_stream(tmp.path / "in.csv", tmp.path / "out.csv", o) == 1000);

  auto f = make_featurizer(o.features);
  std::vector<double> expect(formulas.size() * f->size());
  featurize_formulas(*f, formulas, expect.data(), 1);
  CsvTable out = read_csv(tmp.path / "out.csv");
  REQUIRE(out.header.size() == 1 + f->size());
  CHECK(out.header[0] == "name");
  CHECK(out.header[1] == "MagpieData minimum Number");
  REQUIRE(out.rows.size() == 1000);
  std::size_t differ = 0;
  for (std::size_t i = 0; i < 1000; ++i) {
    std::string id = "m";
    id += std::to_string(i);
    CHECK(out.rows[i][0] == id);
    for (std::size_t k = 0; k < f->size(); ++k) {
      double v = 0;
      REQUIRE(parse_double(out.rows[i][k + 1], v));
      if (std::memcmp(&v, &expect[i * f->size() + k], sizeof v) != 0) ++differ;
    }
  }
  CHECK(differ == 0);
}

TEST_CASE("stream: a bad formula names file, row and column and writes nothing", "[stream]") {
  TempDir tmp;
  write_text(tmp.path / "in.csv", "composition\nFe2O3\nNaCl\nFe2Qq3\nSiO2\n");
  const fs::path out = tmp.path / "out.csv";
  write_text(out, "old content\n");
  StreamFeaturizeOptions o;
  o.chunk_rows = 2;  // the error is in the second chunk, after the first was written to the temporary
  try {
    featurize_csv_stream(tmp.path / "in.csv", out, o);
    FAIL("expected DataError");
  } catch (const DataError& e) {
    std::string msg = e.what();
    CHECK(msg.find("in.csv") != std::string::npos);
    CHECK(msg.find("row 4") != std::string::npos);
    CHECK(msg.find("composition") != std::string::npos);
    CHECK(msg.find("Fe2Qq3") != std::string::npos);
  }
  std::ifstream in(out);
  std::stringstream ss;
  ss << in.rdbuf();
  CHECK(ss.str() == "old content\n");
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(tmp.path)) ++files;
  CHECK(files == 2);  // in.csv and the untouched out.csv: no temporary left behind
}

TEST_CASE("stream: format_feature_value round-trips and leaves NaN empty", "[stream]") {
  char buf[32];
  for (double v : {0.1, 1.0 / 3.0, -2.5e-300, 1e300, 47.400000000000006, 0.0}) {
    std::size_t n = format_feature_value(v, buf);
    double back = 0;
    REQUIRE(parse_double(std::string_view(buf, n), back));
    CHECK(std::memcmp(&back, &v, sizeof v) == 0);
  }
  CHECK(format_feature_value(std::nan(""), buf) == 0);
  CHECK(std::string(buf, format_feature_value(15.2, buf)) == "15.2");
}
