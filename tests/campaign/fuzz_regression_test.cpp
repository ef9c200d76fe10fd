// SPDX-License-Identifier: MIT
// Replays the committed ingestion and corrupted-file fuzz corpora and reproducers
// (tests/fixtures/fuzz/{ingest,archive}/) through the entry points of fuzz_ingest and fuzz_archive
// (tests/fuzz/campaign_targets.hpp).
#include <catch2/catch.hpp>

#include "fuzz/campaign_targets.hpp"

namespace {
const std::filesystem::path kCorpus = std::filesystem::path(MATOPT_TEST_FIXTURES_DIR) / "fuzz";
}

TEST_CASE("ingest corpus: rejected files leave the campaign untouched, accepted ones are idempotent", "[fuzz]") {
  const auto files = matopt::fuzz::corpus_files(kCorpus / "ingest");
  REQUIRE(files.size() >= 8);
  for (const auto& file : files) {
    INFO(file.string());
    const auto bytes = matopt::fuzz::read_bytes(file);
    CHECK(matopt::fuzz::fuzz_ingest_one(bytes.data(), bytes.size()) == "");
  }
  // the template has 4 history rows and the proposals r001-01, r001-02; answering both adds 2
  const auto& t = matopt::fuzz::campaign_template();
  const matopt::Campaign c = matopt::Campaign::open(t.file);
  REQUIRE(c.measurements().size() == 4);
  REQUIRE(c.proposals().size() == 2);
  CHECK(c.proposals()[0].id == "r001-01");
  const auto ok = matopt::fuzz::read_bytes(kCorpus / "ingest" / "ids_ok_failed.csv");
  REQUIRE(matopt::fuzz::fuzz_ingest_one(ok.data(), ok.size()) == "");
  const matopt::Campaign after = matopt::Campaign::open(matopt::fuzz::scratch_dir() / "ingest" / "c.h5");
  CHECK(after.measurements().size() == 6);
  CHECK(after.measurements().back().failed);
}

TEST_CASE("corrupted campaign files throw typed errors, never crash", "[fuzz]") {
  const auto files = matopt::fuzz::corpus_files(kCorpus / "archive");
  REQUIRE(files.size() >= 5);
  for (const auto& file : files) {
    INFO(file.string());
    const auto bytes = matopt::fuzz::read_bytes(file);
    CHECK(matopt::fuzz::fuzz_h5_one(bytes.data(), bytes.size()) == "");
  }
  CHECK_THROWS_AS(matopt::Campaign::open(kCorpus / "archive" / "dataset.h5"), matopt::IOError);
  CHECK(matopt::Campaign::open(kCorpus / "archive" / "campaign.h5").measurements().size() == 2);
  CHECK(matopt::Campaign::open(kCorpus / "archive" / "campaign_checksummed.h5").measurements().size() == 2);
}
