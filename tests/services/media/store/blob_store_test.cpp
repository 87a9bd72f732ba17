// BlobStore and TempFile: temp files under tmp/ (private, removed unless installed),
// content-addressed install with deduplication, reading and removing blobs, the
// thumbnail cache, the start-up sweep, and the refusal of anything but a sha256 as an
// address.
#include "services/media/store/blob_store.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/crypto/crypto.hpp"
#include "support/temp_dir.hpp"

namespace bartab::media {
namespace {

namespace fs = std::filesystem;

// Repeatable randomness: each fill is a counter's value spread over the bytes, so
// every call differs, unless told to give the previous value once more.
class CountingRandom final : public core::crypto::Random {
 public:
  void fill(std::uint8_t* out, std::size_t n) override {
    if (!repeat_) ++counter_;
    repeat_ = false;
    for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::uint8_t>(counter_ >> (8 * (i % 8)));
  }
  void repeat_once() { repeat_ = true; }

 private:
  std::uint64_t counter_ = 0;
  bool repeat_ = false;
};

std::string sha_of(const std::string& bytes) {
  return core::crypto::sha256_hex(bytes);
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

// Everything a descriptor reads from its start.
std::string read_all(int fd) {
  std::string out;
  char buffer[4096];
  off_t at = 0;
  for (;;) {
    auto n = ::pread(fd, buffer, sizeof buffer, at);
    if (n <= 0) break;
    out.append(buffer, static_cast<std::size_t>(n));
    at += n;
  }
  return out;
}

std::size_t entries_in(const fs::path& dir) {
  if (!fs::exists(dir)) return 0;
  return static_cast<std::size_t>(std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}

class BlobStoreTest : public ::testing::Test {
 protected:
  fs::path root() const { return dir_.path() / "media"; }
  fs::path tmp() const { return root() / "tmp"; }

  // A temp file holding `bytes`, synced, ready to install.
  TempFile temp_with(const std::string& bytes) {
    auto temp = blobs_.create_temp();
    temp.write(bytes);
    temp.sync();
    return temp;
  }

  // Installs `bytes` as a blob; returns its address.
  std::string put(const std::string& bytes) {
    auto temp = temp_with(bytes);
    auto sha = sha_of(bytes);
    blobs_.install(temp, sha);
    return sha;
  }

  void put_thumbnail(const std::string& sha, const std::string& variant, const std::string& bytes) {
    auto temp = temp_with(bytes);
    blobs_.install_thumbnail(temp, sha, variant);
  }

  testing::TempDir dir_;
  CountingRandom random_;
  BlobStore blobs_{dir_.path() / "media", random_};
};

TEST_F(BlobStoreTest, ConstructorCreatesTheFolders) {
  EXPECT_TRUE(fs::is_directory(root() / "blobs"));
  EXPECT_TRUE(fs::is_directory(root() / "thumbs"));
  EXPECT_TRUE(fs::is_directory(root() / "tmp"));
  EXPECT_EQ(blobs_.root(), root());
}

TEST_F(BlobStoreTest, ConstructorThrowsWhenTheRootCannotBeMade) {
  std::ofstream(dir_.path() / "a-file") << "in the way";
  EXPECT_THROW(BlobStore(dir_.path() / "a-file" / "media", random_), std::system_error);
}

TEST_F(BlobStoreTest, TempFilesArePrivateFilesUnderTmp) {
  auto temp = blobs_.create_temp();
  EXPECT_EQ(temp.path().parent_path(), tmp());
  EXPECT_EQ(temp.path().filename().string().rfind("upload-", 0), 0u) << temp.path();
  struct stat info {};
  ASSERT_EQ(::stat(temp.path().c_str(), &info), 0);
  EXPECT_TRUE(S_ISREG(info.st_mode));
  EXPECT_EQ(info.st_mode & 07777, 0600u);
}

TEST_F(BlobStoreTest, TempFilesGetDistinctNamesEvenWhenTheRandomRepeats) {
  auto first = blobs_.create_temp();
  random_.repeat_once();  // the next name drawn is the first one again: O_EXCL refuses it
  auto second = blobs_.create_temp();
  EXPECT_NE(first.path(), second.path());
  EXPECT_TRUE(fs::exists(first.path()));
  EXPECT_TRUE(fs::exists(second.path()));
  EXPECT_EQ(entries_in(tmp()), 2u);
}

TEST_F(BlobStoreTest, WriteAppends) {
  auto temp = blobs_.create_temp();
  temp.write("hello, ");
  temp.write(std::string("\0wor", 4));
  temp.write("");
  temp.write("ld");
  temp.sync();
  EXPECT_EQ(read_file(temp.path()), std::string("hello, \0world", 13));
}

TEST_F(BlobStoreTest, ADroppedTempFileLeavesNothing) {
  fs::path path;
  {
    auto temp = blobs_.create_temp();
    temp.write("partial upload");
    path = temp.path();
    ASSERT_TRUE(fs::exists(path));
  }
  EXPECT_FALSE(fs::exists(path));
  EXPECT_EQ(entries_in(tmp()), 0u);
}

TEST_F(BlobStoreTest, AMovedTempFileIsRemovedOnceByItsNewOwner) {
  fs::path path;
  {
    auto temp = blobs_.create_temp();
    path = temp.path();
    {
      TempFile moved(std::move(temp));
      EXPECT_EQ(moved.path(), path);
      moved.write("x");
    }
    EXPECT_FALSE(fs::exists(path));  // gone with the new owner, not left for the old
  }
  EXPECT_EQ(entries_in(tmp()), 0u);
}

TEST_F(BlobStoreTest, InstallMovesTheFileIntoItsContentAddress) {
  std::string bytes = "the bytes of an upload";
  auto sha = sha_of(bytes);
  auto temp = temp_with(bytes);
  auto temp_path = temp.path();

  EXPECT_FALSE(blobs_.contains(sha));
  EXPECT_TRUE(blobs_.install(temp, sha));
  fs::path expected = root() / "blobs" / sha.substr(0, 2) / sha;
  EXPECT_EQ(blobs_.blob_path(sha), expected);
  EXPECT_TRUE(fs::is_regular_file(expected));
  EXPECT_EQ(read_file(expected), bytes);
  EXPECT_FALSE(fs::exists(temp_path));
  EXPECT_TRUE(blobs_.contains(sha));
}

TEST_F(BlobStoreTest, AnInstalledTempFileIsNotRemovedWhenDropped) {
  std::string bytes = "kept";
  auto sha = sha_of(bytes);
  {
    auto temp = temp_with(bytes);
    ASSERT_TRUE(blobs_.install(temp, sha));
  }
  EXPECT_TRUE(blobs_.contains(sha));
  EXPECT_EQ(read_file(blobs_.blob_path(sha)), bytes);
}

TEST_F(BlobStoreTest, InstallingTheSameBlobTwiceDeduplicates) {
  std::string bytes = "same bytes, two uploads";
  auto sha = sha_of(bytes);
  auto first = temp_with(bytes);
  ASSERT_TRUE(blobs_.install(first, sha));
  struct stat before {};
  ASSERT_EQ(::stat(blobs_.blob_path(sha).c_str(), &before), 0);

  fs::path second_path;
  {
    auto second = temp_with(bytes);
    second_path = second.path();
    EXPECT_FALSE(blobs_.install(second, sha));
  }
  EXPECT_FALSE(fs::exists(second_path));
  EXPECT_EQ(entries_in(tmp()), 0u);
  struct stat after {};
  ASSERT_EQ(::stat(blobs_.blob_path(sha).c_str(), &after), 0);
  EXPECT_EQ(before.st_ino, after.st_ino);  // the first file stayed in place
  EXPECT_EQ(entries_in(root() / "blobs" / sha.substr(0, 2)), 1u);
}

TEST_F(BlobStoreTest, OpenReadsAnInstalledBlob) {
  std::string bytes("binary\0bytes\xff", 13);
  auto sha = put(bytes);
  auto file = blobs_.open(sha);
  ASSERT_TRUE(file);
  ASSERT_TRUE(file->is_open());
  EXPECT_EQ(read_all(file->get()), bytes);
}

TEST_F(BlobStoreTest, OpenAndContainsOfAMissingBlob) {
  auto sha = sha_of("never installed");
  EXPECT_FALSE(blobs_.contains(sha));
  EXPECT_FALSE(blobs_.open(sha));
}

TEST_F(BlobStoreTest, OpenDoesNotFollowSymlinks) {
  auto sha = sha_of("a link");
  fs::create_directories(blobs_.blob_path(sha).parent_path());
  std::ofstream(dir_.path() / "outside") << "secret";
  fs::create_symlink(dir_.path() / "outside", blobs_.blob_path(sha));
  EXPECT_FALSE(blobs_.open(sha));
}

TEST_F(BlobStoreTest, RemoveDropsTheBlobAndItsThumbnails) {
  auto sha = put("an image, say");
  put_thumbnail(sha, thumbnail_variant(32, 32, false), "thumb 1");
  put_thumbnail(sha, thumbnail_variant(64, 64, true), "thumb 2");
  ASSERT_EQ(blobs_.thumbnail_count(sha), 2u);

  blobs_.remove(sha);
  EXPECT_FALSE(blobs_.contains(sha));
  EXPECT_FALSE(blobs_.open(sha));
  EXPECT_EQ(blobs_.thumbnail_count(sha), 0u);
  EXPECT_FALSE(fs::exists(root() / "thumbs" / sha));
}

TEST_F(BlobStoreTest, RemoveLeavesOtherBlobsAlone) {
  auto a = put("blob a");
  auto b = put("blob b");
  put_thumbnail(b, "8x8-scale", "thumb of b");
  blobs_.remove(a);
  EXPECT_FALSE(blobs_.contains(a));
  EXPECT_TRUE(blobs_.contains(b));
  EXPECT_EQ(blobs_.thumbnail_count(b), 1u);
}

TEST_F(BlobStoreTest, RemovingAMissingBlobIsHarmless) {
  auto sha = sha_of("not there");
  EXPECT_NO_THROW(blobs_.remove(sha));
  // Thumbnails left without their blob still go.
  put_thumbnail(sha, "8x8-scale", "orphan");
  blobs_.remove(sha);
  EXPECT_EQ(blobs_.thumbnail_count(sha), 0u);
}

TEST_F(BlobStoreTest, ThumbnailVariantNames) {
  EXPECT_EQ(thumbnail_variant(320, 240, false), "320x240-scale");
  EXPECT_EQ(thumbnail_variant(96, 96, true), "96x96-crop");
  EXPECT_NE(thumbnail_variant(1, 23, false), thumbnail_variant(12, 3, false));
}

TEST_F(BlobStoreTest, ThumbnailsAreInstalledOpenedAndCounted) {
  auto sha = put("source image");
  EXPECT_EQ(blobs_.thumbnail_count(sha), 0u);
  EXPECT_FALSE(blobs_.open_thumbnail(sha, "32x32-scale"));

  auto temp = temp_with("small thumbnail");
  auto temp_path = temp.path();
  blobs_.install_thumbnail(temp, sha, "32x32-scale");
  EXPECT_FALSE(fs::exists(temp_path));
  EXPECT_TRUE(fs::is_regular_file(root() / "thumbs" / sha / "32x32-scale"));
  auto opened = blobs_.open_thumbnail(sha, "32x32-scale");
  ASSERT_TRUE(opened);
  EXPECT_EQ(read_all(opened->get()), "small thumbnail");
  EXPECT_EQ(blobs_.thumbnail_count(sha), 1u);

  put_thumbnail(sha, "64x64-crop", "bigger thumbnail");
  EXPECT_EQ(blobs_.thumbnail_count(sha), 2u);
  EXPECT_FALSE(blobs_.open_thumbnail(sha, "128x128-scale"));
  EXPECT_EQ(entries_in(tmp()), 0u);
}

TEST_F(BlobStoreTest, ReinstallingAThumbnailReplacesIt) {
  auto sha = put("source");
  put_thumbnail(sha, "32x32-scale", "first");
  put_thumbnail(sha, "32x32-scale", "second");  // a concurrent twin finishing later
  EXPECT_EQ(blobs_.thumbnail_count(sha), 1u);
  auto opened = blobs_.open_thumbnail(sha, "32x32-scale");
  ASSERT_TRUE(opened);
  EXPECT_EQ(read_all(opened->get()), "second");
  EXPECT_EQ(entries_in(tmp()), 0u);
}

TEST_F(BlobStoreTest, SweepRemovesTempFiles) {
  {
    auto kept_open = blobs_.create_temp();  // a crash left these behind
    std::ofstream(tmp() / "upload-leftover") << "half an upload";
    blobs_.sweep([](const std::string&) { return true; });
    EXPECT_EQ(entries_in(tmp()), 0u);
  }
  EXPECT_EQ(entries_in(tmp()), 0u);
}

TEST_F(BlobStoreTest, SweepRemovesUnreferencedBlobsAndKeepsReferencedOnes) {
  auto kept = put("referenced");
  auto dropped = put("unreferenced");
  auto also_dropped = put("also unreferenced");
  put_thumbnail(kept, "8x8-scale", "kept thumb");
  put_thumbnail(dropped, "8x8-scale", "dropped thumb");

  std::set<std::string> asked;
  auto removed = blobs_.sweep([&](const std::string& sha) {
    asked.insert(sha);
    return sha == kept;
  });
  EXPECT_EQ(removed, 2u);
  EXPECT_EQ(asked, (std::set<std::string>{kept, dropped, also_dropped}));
  EXPECT_TRUE(blobs_.contains(kept));
  EXPECT_EQ(blobs_.thumbnail_count(kept), 1u);
  EXPECT_FALSE(blobs_.contains(dropped));
  EXPECT_FALSE(blobs_.contains(also_dropped));
  EXPECT_EQ(blobs_.thumbnail_count(dropped), 0u);
}

TEST_F(BlobStoreTest, SweepRemovesThumbnailsOfMissingBlobs) {
  auto present = put("present");
  auto missing = sha_of("missing");
  put_thumbnail(present, "8x8-scale", "thumb");
  put_thumbnail(missing, "8x8-scale", "orphan thumb");
  EXPECT_EQ(blobs_.sweep([](const std::string&) { return true; }), 0u);
  EXPECT_EQ(blobs_.thumbnail_count(present), 1u);
  EXPECT_FALSE(fs::exists(root() / "thumbs" / missing));
}

TEST_F(BlobStoreTest, SweepIgnoresBlobsWithNonHexNames) {
  auto sha = put("a real blob");
  auto prefix = root() / "blobs" / sha.substr(0, 2);
  std::ofstream(prefix / "NOT-A-SHA") << "someone else's file";
  std::ofstream(prefix / (std::string(64, 'A'))) << "uppercase is not an address";
  std::ofstream(root() / "blobs" / "stray-file") << "not in a prefix folder";

  std::vector<std::string> asked;
  auto removed = blobs_.sweep([&](const std::string& name) {
    asked.push_back(name);
    return false;
  });
  EXPECT_EQ(removed, 1u);
  EXPECT_EQ(asked, std::vector<std::string>{sha});  // never asked about the others
  EXPECT_FALSE(blobs_.contains(sha));
  EXPECT_TRUE(fs::exists(prefix / "NOT-A-SHA"));
  EXPECT_TRUE(fs::exists(prefix / std::string(64, 'A')));
  EXPECT_TRUE(fs::exists(root() / "blobs" / "stray-file"));
}

TEST_F(BlobStoreTest, SweepRemovesThumbnailFoldersWithNonHexNames) {
  fs::create_directories(root() / "thumbs" / "junk");
  std::ofstream(root() / "thumbs" / "junk" / "8x8-scale") << "junk";
  blobs_.sweep([](const std::string&) { return true; });
  EXPECT_FALSE(fs::exists(root() / "thumbs" / "junk"));
}

TEST_F(BlobStoreTest, SweepOfAnEmptyStore) {
  EXPECT_EQ(blobs_.sweep([](const std::string&) { return false; }), 0u);
  EXPECT_TRUE(fs::is_directory(root() / "blobs"));
  EXPECT_TRUE(fs::is_directory(root() / "thumbs"));
  EXPECT_TRUE(fs::is_directory(root() / "tmp"));
}

TEST(IsSha256Hex, AcceptsExactlySixtyFourLowercaseHexDigits) {
  EXPECT_TRUE(is_sha256_hex(std::string(64, '0')));
  EXPECT_TRUE(is_sha256_hex(std::string(64, 'f')));
  EXPECT_TRUE(is_sha256_hex(core::crypto::sha256_hex("")));
  EXPECT_TRUE(is_sha256_hex("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"));
}

TEST(IsSha256Hex, RefusesEverythingElse) {
  std::string good(64, 'a');
  EXPECT_FALSE(is_sha256_hex(""));
  EXPECT_FALSE(is_sha256_hex(std::string(63, 'a')));
  EXPECT_FALSE(is_sha256_hex(std::string(65, 'a')));
  EXPECT_FALSE(is_sha256_hex(std::string(64, 'A')));
  EXPECT_FALSE(is_sha256_hex(std::string(64, 'g')));
  for (char bad : {'A', 'F', 'g', 'z', '/', '.', ' ', '\0', '-', ':', '`', '@', '\xff'}) {
    std::string text = good;
    text[17] = bad;
    EXPECT_FALSE(is_sha256_hex(text)) << "with " << static_cast<int>(static_cast<unsigned char>(bad));
  }
  EXPECT_FALSE(is_sha256_hex("../../" + std::string(58, 'a')));
}

// A non-hex address is a programmer error: an assert in debug builds, and
// std::invalid_argument in release builds (so no path is ever made from it). The
// death tests fork (gtest warns when libvips' threads from other suites are alive);
// the child only checks the address and aborts.
#ifdef NDEBUG
#define EXPECT_REFUSED_ADDRESS(statement) EXPECT_THROW(statement, std::invalid_argument)
#else
#define EXPECT_REFUSED_ADDRESS(statement) EXPECT_DEATH(statement, "sha256")
#endif

TEST_F(BlobStoreTest, NonHexAddressesAreRefused) {
  const std::string traversal = "../../../../etc/passwd";
  EXPECT_REFUSED_ADDRESS(blobs_.blob_path(traversal));
  EXPECT_REFUSED_ADDRESS(blobs_.blob_path(""));
  EXPECT_REFUSED_ADDRESS(blobs_.blob_path(std::string(64, 'A')));
  EXPECT_REFUSED_ADDRESS(blobs_.contains(traversal));
  EXPECT_REFUSED_ADDRESS(blobs_.open(traversal));
  EXPECT_REFUSED_ADDRESS(blobs_.remove(traversal));
  EXPECT_REFUSED_ADDRESS(blobs_.open_thumbnail("..", "8x8-scale"));
  EXPECT_REFUSED_ADDRESS(blobs_.thumbnail_count(".."));
  {
    auto temp = temp_with("bytes");
    EXPECT_REFUSED_ADDRESS(blobs_.install(temp, "not-a-sha"));
    EXPECT_REFUSED_ADDRESS(blobs_.install_thumbnail(temp, "..", "8x8-scale"));
  }
  // Nothing was made or moved anywhere.
  EXPECT_EQ(entries_in(root() / "blobs"), 0u);
  EXPECT_EQ(entries_in(root() / "thumbs"), 0u);
  EXPECT_EQ(entries_in(tmp()), 0u);
  EXPECT_EQ(entries_in(dir_.path()), 1u);  // only media/
}

TEST_F(BlobStoreTest, AReopenedTempFileOutlivesItsRemoval) {
  std::string bytes("thumbnail bytes\0and more", 24);
  std::optional<core::http::FileHandle> reopened;
  fs::path path;
  {
    auto temp = temp_with(bytes);
    path = temp.path();
    reopened = temp.reopen();
    ASSERT_TRUE(reopened);
  }
  EXPECT_FALSE(fs::exists(path));
  EXPECT_EQ(entries_in(tmp()), 0u);
  EXPECT_EQ(read_all(reopened->get()), bytes);
}

TEST_F(BlobStoreTest, ReopenAfterInstallFindsNothingAtTheTempPath) {
  std::string bytes = "moved away";
  auto temp = temp_with(bytes);
  ASSERT_TRUE(blobs_.install(temp, sha_of(bytes)));
  EXPECT_FALSE(temp.reopen());
}

}  // namespace
}  // namespace bartab::media
