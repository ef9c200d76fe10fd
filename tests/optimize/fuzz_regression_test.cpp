// SPDX-License-Identifier: MIT
// Replays the committed design-space fuzz corpus and reproducers (tests/fixtures/fuzz/design_space/)
// through the entry point of fuzz_design_space (tests/fuzz/optimize_targets.hpp).
#include <catch2/catch.hpp>

#include "fuzz/optimize_targets.hpp"

TEST_CASE("design-space JSON corpus: accepted spaces round-trip, the rest throw typed errors", "[fuzz]") {
  const auto dir = std::filesystem::path(MATOPT_TEST_FIXTURES_DIR) / "fuzz" / "design_space";
  const auto files = matopt::fuzz::corpus_files(dir);
  REQUIRE(files.size() >= 8);
  for (const auto& file : files) {
    INFO(file.string());
    const auto bytes = matopt::fuzz::read_bytes(file);
    CHECK(matopt::fuzz::fuzz_design_space_one(bytes.data(), bytes.size()) == "");
  }
  // two seeds whose outcome is known: infeasible bounds are refused, the campaign space is accepted
  const auto text = [&](const char* name) {
    const auto b = matopt::fuzz::read_bytes(dir / name);
    return std::string(b.begin(), b.end());
  };
  CHECK_THROWS_AS(matopt::DesignSpace::from_json_text(text("infeasible.json")), matopt::DataError);
  CHECK(matopt::DesignSpace::from_json_text(text("campaign_space.json")).dimension() == 4);
}
