// Hidden cases ([.]) for tests/ctest_coverage_selftest.py: names that the former bugs had (issue 17), which
// catch_discover_tests turns into ctest entries that run nothing. Excluded from the normal discovery
// (TEST_SPEC in tests/CMakeLists.txt); the self-test discovers them on purpose and expects both checks to fail.
#include <catch2/catch.hpp>

TEST_CASE("canary: a plain name", "[.][canary]") { SUCCEED("selected and run"); }

TEST_CASE("canary: a; b; c", "[.][canary]") { SUCCEED("never selected by its ctest entries"); }

TEST_CASE("canary: an escaped ('\\r') character", "[.][canary]") { SUCCEED("never selected by its ctest entry"); }
