// The client libraries the agent loads when a check runs: a missing library or function is a
// clear error naming what to install, never a crash.
#include "agent/dynamic_library.h"

#include <libpq-fe.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace paraat {
namespace {

using ::testing::HasSubstr;

struct Api {
  decltype(&::PQlibVersion) lib_version;
  decltype(&::PQlibVersion) missing;
};

TEST(DynamicLibrary, BindsTheFunctionsOfAnInstalledLibrary) {
  auto api = BindLibrary<Api>("libpq.so.5", "libpq5",
                              [](DynamicLibrary& lib, Api& api) { lib.Bind("PQlibVersion", api.lib_version); });
  ASSERT_TRUE(api.ok()) << api.status();
  EXPECT_GE(api->lib_version(), 100000) << "libpq 10 or later";
}

TEST(DynamicLibrary, AMissingLibraryNamesThePackageToInstall) {
  auto api = BindLibrary<Api>("libparaat-no-such-client.so.9", "paraat-no-such-client",
                              [](DynamicLibrary& lib, Api& api) { lib.Bind("PQlibVersion", api.lib_version); });
  ASSERT_FALSE(api.ok());
  EXPECT_EQ(api.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(api.status().message(), HasSubstr("cannot load libparaat-no-such-client.so.9"));
  EXPECT_THAT(api.status().message(), HasSubstr("install the Debian package paraat-no-such-client"));
}

TEST(DynamicLibrary, AMissingFunctionIsAnErrorNotANullCall) {
  auto api = BindLibrary<Api>("libpq.so.5", "libpq5", [](DynamicLibrary& lib, Api& api) {
    lib.Bind("PQlibVersion", api.lib_version);
    lib.Bind("PQnoSuchFunction", api.missing);
  });
  ASSERT_FALSE(api.ok());
  EXPECT_THAT(api.status().message(), HasSubstr("libpq.so.5 has no function PQnoSuchFunction"));
}

}  // namespace
}  // namespace paraat
