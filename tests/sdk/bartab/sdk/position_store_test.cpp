// FilePositionStore: round trip, atomic replacement, a missing or empty file, and a
// directory it cannot write to.
#include "bartab/sdk/position_store.hpp"

#include <gtest/gtest.h>
#include <fstream>
#include <system_error>

#include "support/temp_dir.hpp"

namespace bartab::sdk {
namespace {

using bartab::testing::TempDir;

std::string contents_of(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(SdkFilePositionStore, MissingFileMeansNoPosition) {
  TempDir dir;
  FilePositionStore store(dir.path() / "position");
  EXPECT_EQ(store.load(), std::nullopt);
}

TEST(SdkFilePositionStore, EmptyFileMeansNoPosition) {
  TempDir dir;
  std::ofstream(dir.path() / "position") << "\n";
  EXPECT_EQ(FilePositionStore(dir.path() / "position").load(), std::nullopt);
}

TEST(SdkFilePositionStore, SavedPositionIsLoadedByANewStore) {
  TempDir dir;
  FilePositionStore(dir.path() / "position").save("s_abc.123");
  EXPECT_EQ(FilePositionStore(dir.path() / "position").load(), "s_abc.123");
  EXPECT_EQ(contents_of(dir.path() / "position"), "s_abc.123\n");
}

TEST(SdkFilePositionStore, SaveReplacesTheFileAndLeavesNoTemporary) {
  TempDir dir;
  FilePositionStore store(dir.path() / "position");
  store.save("first");
  store.save("second, longer than the first");
  store.save("third");
  EXPECT_EQ(store.load(), "third");
  int files = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir.path())) ++files;
  EXPECT_EQ(files, 1) << "the temporary file must be renamed over the position";
}

TEST(SdkFilePositionStore, AStaleTemporaryFromACrashIsIgnoredAndOverwritten) {
  TempDir dir;
  FilePositionStore store(dir.path() / "position");
  store.save("committed");
  std::ofstream(dir.path() / "position.tmp") << "half writ";  // a crash before the rename
  EXPECT_EQ(store.load(), "committed");
  store.save("next");
  EXPECT_EQ(store.load(), "next");
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "position.tmp"));
}

TEST(SdkFilePositionStore, SaveIntoAMissingDirectoryThrows) {
  TempDir dir;
  FilePositionStore store(dir.path() / "no" / "such" / "position");
  EXPECT_THROW(store.save("x"), std::system_error);
  EXPECT_EQ(store.load(), std::nullopt);
}

TEST(SdkMemoryPositionStore, RemembersTheLastSave) {
  MemoryPositionStore store;
  EXPECT_EQ(store.load(), std::nullopt);
  store.save("a");
  store.save("b");
  EXPECT_EQ(store.load(), "b");
}

}  // namespace
}  // namespace bartab::sdk
