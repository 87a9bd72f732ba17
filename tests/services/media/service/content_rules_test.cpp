// Tests of the media content rules: sniffing with real magic numbers, type
// normalisation, the stored type, inline or attachment, Content-Disposition, upload
// names and the CSP.
#include "services/media/service/content_rules.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

namespace bartab::media {
namespace {

using namespace std::string_literals;

std::string le32(std::uint32_t v) {
  return {static_cast<char>(v & 0xff), static_cast<char>(v >> 8 & 0xff), static_cast<char>(v >> 16 & 0xff),
          static_cast<char>(v >> 24 & 0xff)};
}

std::string be32(std::uint32_t v) {
  return {static_cast<char>(v >> 24 & 0xff), static_cast<char>(v >> 16 & 0xff),
          static_cast<char>(v >> 8 & 0xff), static_cast<char>(v & 0xff)};
}

// An ISO BMFF `ftyp` box with its major brand and compatible brands.
std::string ftyp(std::string major, std::vector<std::string> compatible) {
  std::string body = "ftyp" + major + "\0\0\0\0"s;
  for (const auto& brand : compatible) body += brand;
  return be32(static_cast<std::uint32_t>(body.size() + 4)) + body + "\0\0\0\x08mdat"s;
}

std::string png() {
  return "\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0"s;
}
std::string jpeg() {
  return "\xff\xd8\xff\xe0\0\x10JFIF\0\x01\x01\0\0\x01\0\x01\0\0"s;
}
std::string gif() {
  return "GIF89a\x01\0\x01\0\x80\0\0"s;
}
std::string webp() {
  return "RIFF" + le32(26) + "WEBPVP8 " + le32(14) + "\x30\x01\0\x9d\x01\x2a"s;
}
std::string bmp() {
  return "BM" + le32(70) + le32(0) + le32(54) + le32(40) + le32(1) + le32(1);
}
std::string wav() {
  return "RIFF" + le32(36) + "WAVEfmt " + le32(16) + "\x01\0\x01\0"s;
}
std::string ico() {
  return "\0\0\x01\0\x01\0\x10\x10\0\0\x01\0\x20\0"s;
}
std::string portable_executable() {
  std::string s = "MZ\x90\0\x03\0\0\0"s;
  s.resize(0x3c, '\0');
  s += le32(0x80);
  s.resize(0x80, '\0');
  return s + "PE\0\0\x64\x86"s;
}
// An EBML header whose DocType is `doctype` (length below 16).
std::string ebml(std::string doctype) {
  std::string body = "\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04\x42\xf3\x81\x08\x42\x82"s +
                     static_cast<char>(0x80 | doctype.size()) + doctype + "\x42\x87\x81\x04"s;
  return "\x1a\x45\xdf\xa3"s + static_cast<char>(0x80 | body.size()) + body;
}

struct Sample {
  std::string name;
  std::string bytes;
  std::string type;
};

std::vector<Sample> binary_samples() {
  return {
      {"png", png(), "image/png"},
      {"jpeg", jpeg(), "image/jpeg"},
      {"gif87", "GIF87a\x01\0\x01\0"s, "image/gif"},
      {"gif89", gif(), "image/gif"},
      {"webp", webp(), "image/webp"},
      {"bmp", bmp(), "image/bmp"},
      {"ico", ico(), "image/x-icon"},
      {"cur", "\0\0\x02\0\x01\0\x20\x20"s, "image/x-icon"},
      {"tiff_le", "II*\0\x08\0\0\0"s, "image/tiff"},
      {"tiff_be", "MM\0*\0\0\0\x08"s, "image/tiff"},
      {"avif", ftyp("avif", {"avif", "mif1", "miaf", "MA1B"}), "image/avif"},
      {"avif_sequence", ftyp("avis", {"avis", "msf1", "iso8", "mif1"}), "image/avif"},
      {"heic", ftyp("heic", {"mif1", "heic"}), "image/heic"},
      {"mif1_heic", ftyp("mif1", {"mif1", "heic"}), "image/heic"},
      {"mif1_avif", ftyp("mif1", {"mif1", "miaf", "avif"}), "image/avif"},
      {"heif", ftyp("mif1", {"mif1"}), "image/heif"},
      {"mp4_isom", ftyp("isom", {"isom", "iso2", "avc1", "mp41"}), "video/mp4"},
      {"mp4_mp42", ftyp("mp42", {"mp42", "isom"}), "video/mp4"},
      {"m4v", ftyp("M4V ", {"M4V ", "M4A ", "mp42", "isom"}), "video/mp4"},
      {"m4a", ftyp("M4A ", {"M4A ", "mp42", "isom"}), "audio/mp4"},
      {"unknown_major_mp4_compatible", ftyp("XAVC", {"XAVC", "mp42", "iso2"}), "video/mp4"},
      {"quicktime", ftyp("qt  ", {"qt  "}), "video/quicktime"},
      {"3gp", ftyp("3gp4", {"3gp4", "isom"}), "video/3gpp"},
      {"pdf", "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"s, "application/pdf"},
      {"postscript", "%!PS-Adobe-3.0\n"s, "application/postscript"},
      {"zip", "PK\x03\x04\x14\0\0\0\x08\0"s, "application/zip"},
      {"empty_zip", "PK\x05\x06\0\0\0\0"s, "application/zip"},
      {"gzip", "\x1f\x8b\x08\0\0\0\0\0\0\x03"s, "application/gzip"},
      {"7z", "7z\xbc\xaf\x27\x1c\0\x04"s, "application/x-7z-compressed"},
      {"rar4", "Rar!\x1a\x07\0\xcf\x90\x73"s, "application/x-rar-compressed"},
      {"rar5", "Rar!\x1a\x07\x01\0\x33\x92"s, "application/x-rar-compressed"},
      {"xz",
       "\xfd"
       "7zXZ\0\0\x04"s,
       "application/x-xz"},
      {"wasm", "\0asm\x01\0\0\0\x01\x04"s, "application/wasm"},
      {"elf",
       "\x7f"
       "ELF\x02\x01\x01\0"s,
       "application/x-executable"},
      {"pe", portable_executable(), "application/vnd.microsoft.portable-executable"},
      {"rtf", "{\\rtf1\\ansi"s, "application/rtf"},
      {"webm", ebml("webm"), "video/webm"},
      {"matroska", ebml("matroska"), "video/x-matroska"},
      {"ogg", "OggS\0\x02\0\0\0\0\0\0\0\0"s, "audio/ogg"},
      {"mp3_id3", "ID3\x03\0\0\0\0\x0f\x76"s, "audio/mpeg"},
      {"mp3_frame", "\xff\xfb\x90\x64\0\0\0\0"s, "audio/mpeg"},
      {"mp2_frame", "\xff\xfd\x90\x64\0\0\0\0"s, "audio/mpeg"},
      {"aac_adts", "\xff\xf1\x50\x80\x02\x1f\xfc"s, "audio/aac"},
      {"wav", wav(), "audio/wav"},
      {"avi", "RIFF" + le32(100) + "AVI LIST", "video/x-msvideo"},
      {"flac", "fLaC\0\0\0\x22\x10\0"s, "audio/flac"},
      {"woff", "wOFF\0\x01\0\0"s, "font/woff"},
      {"woff2", "wOF2\0\x01\0\0"s, "font/woff2"},
      {"otf", "OTTO\0\x0a\0\x80"s, "font/otf"},
      {"ttf", "\0\x01\0\0\0\x0e\0\x80"s, "font/ttf"},
  };
}

std::optional<std::string> sniff(const std::string& bytes) {
  return sniff_content_type(bytes);
}

TEST(SniffTest, RecognisesEveryBinaryFormat) {
  for (const auto& sample : binary_samples()) {
    EXPECT_EQ(sniff(sample.bytes), sample.type) << sample.name;
  }
}

TEST(SniffTest, AnFtypBoxOf256BytesIsNotAnIcon) {
  std::string body = "ftypisom\0\0\0\0isomiso2mp41"s;
  body.resize(252, '\0');
  EXPECT_EQ(sniff(be32(256) + body), "video/mp4");
}

TEST(SniffTest, FtypWithUnknownBrandsOrBadSizeIsNotSniffed) {
  EXPECT_EQ(sniff(ftyp("abcd", {"efgh"})), std::nullopt);
  EXPECT_EQ(sniff(be32(13) + "ftypisom\0\0\0\0"s), std::nullopt);
  EXPECT_EQ(sniff(be32(8) + "ftypisom"), std::nullopt);
}

TEST(SniffTest, FtypCompatibleBrandsStopAtTheBoxEnd) {
  // The "avif" after the 16-byte box belongs to the next box, not to the brands.
  EXPECT_EQ(sniff(be32(16) + "ftypmif1\0\0\0\0avif"s), "image/heif");
}

TEST(SniffTest, EbmlWithoutDocTypeIsMatroska) {
  EXPECT_EQ(sniff("\x1a\x45\xdf\xa3\x84\x42\x86\x81\x01"s), "video/x-matroska");
}

TEST(SniffTest, WordsStartingLikeMagicNumbersAreNotSniffed) {
  EXPECT_EQ(sniff("BMW is a car brand, and this line is long enough."), std::nullopt);
  EXPECT_EQ(
      sniff("MZ is not an executable unless a PE header follows it, which this text lacks entirely so."),
      std::nullopt);
  EXPECT_EQ(sniff("RIFFraff and other words"), std::nullopt);
}

TEST(SniffTest, DosExecutableWithoutPeHeaderIsNotSniffed) {
  std::string s = portable_executable();
  s[0x80] = 'X';
  EXPECT_EQ(sniff(s), std::nullopt);
}

TEST(SniffTest, BmpWithUnknownHeaderSizeIsNotSniffed) {
  EXPECT_EQ(sniff("BM" + le32(70) + le32(0) + le32(54) + le32(41)), std::nullopt);
}

TEST(SniffTest, ReservedMpegValuesAreNotSniffed) {
  EXPECT_EQ(sniff("\xff\xfb\xf0\x64"s), std::nullopt);  // bitrate index 15
  EXPECT_EQ(sniff("\xff\xfb\x9c\x64"s), std::nullopt);  // sample rate index 3
  EXPECT_EQ(sniff("\xff\xeb\x90\x64"s), std::nullopt);  // reserved version
}

TEST(SniffTest, PlainTextIsNotSniffed) {
  EXPECT_EQ(sniff("Hello, world!\nThis is a plain text file.\n"), std::nullopt);
  EXPECT_EQ(sniff("{\"json\": true}"), std::nullopt);
  EXPECT_EQ(sniff("a,b,c\n1,2,3\n"), std::nullopt);
  EXPECT_EQ(sniff("\xef\xbb\xbfUTF-8 text with a byte order mark"), std::nullopt);
  EXPECT_EQ(sniff("x < y and <not markup"), std::nullopt);
  EXPECT_EQ(sniff("<?php echo 1; ?>"), std::nullopt);
}

TEST(SniffTest, Html) {
  EXPECT_EQ(sniff("<!DOCTYPE html><html><body>hi</body></html>"), "text/html");
  EXPECT_EQ(sniff("<html>"), "text/html");
  EXPECT_EQ(sniff("<script>alert(1)</script>"), "text/html");
  EXPECT_EQ(sniff("<!-- a comment --><p>text"), "text/html");
}

TEST(SniffTest, HtmlAfterWhitespaceInAnyCase) {
  EXPECT_EQ(sniff(" \t\r\n\f<HtMl lang=en>"), "text/html");
  EXPECT_EQ(sniff("\n\n   <!doctype HTML>"), "text/html");
  EXPECT_EQ(sniff("\xef\xbb\xbf<ScRiPt>"), "text/html");
}

TEST(SniffTest, EveryWhatwgHtmlOpening) {
  for (const char* opening : {"<!DOCTYPE HTML", "<HTML", "<HEAD", "<SCRIPT", "<IFRAME", "<H1", "<DIV",
                              "<FONT", "<TABLE", "<A", "<STYLE", "<TITLE", "<B", "<BODY", "<BR", "<P"}) {
    EXPECT_EQ(sniff(std::string(opening) + ">"), "text/html") << opening;
    EXPECT_EQ(sniff(std::string(opening) + " x"), "text/html") << opening;
    EXPECT_EQ(sniff(std::string(opening) + "\nx"), "text/html") << opening;
  }
}

TEST(SniffTest, HtmlNeedsATagEnd) {
  EXPECT_EQ(sniff("<html"), std::nullopt);  // the tag might go on: <htmlfoo
  EXPECT_EQ(sniff("<abbr>"), std::nullopt);
  EXPECT_EQ(sniff("<bogus>"), std::nullopt);
}

TEST(SniffTest, Svg) {
  EXPECT_EQ(sniff("<svg xmlns=\"http://www.w3.org/2000/svg\"/>"), "image/svg+xml");
  EXPECT_EQ(sniff("  <svg>"), "image/svg+xml");
  EXPECT_EQ(sniff("<SVG>"), "image/svg+xml");
  EXPECT_EQ(sniff("<svg:svg xmlns:svg=\"http://www.w3.org/2000/svg\">"), "image/svg+xml");
}

TEST(SniffTest, SvgAfterXmlDeclarationCommentsAndDoctype) {
  EXPECT_EQ(sniff("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- Generator: Tool -->\n<svg width=\"10\">"),
            "image/svg+xml");
  EXPECT_EQ(sniff("\xef\xbb\xbf<?xml version=\"1.0\"?>\n<!DOCTYPE svg PUBLIC \"-//W3C//DTD SVG 1.1//EN\" "
                  "\"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd\">\n<svg>"),
            "image/svg+xml");
  EXPECT_EQ(sniff("<?xml version=\"1.0\"?><!DOCTYPE svg [ <!ENTITY e \"<svg>\"> ]><svg/>"), "image/svg+xml");
  EXPECT_EQ(sniff("<!-- comment --><svg>"), "image/svg+xml");  // not HTML, despite the comment
}

TEST(SniffTest, XmlThatIsNotSvg) {
  EXPECT_EQ(sniff("<?xml version=\"1.0\"?><note><to>x</to></note>"), "text/xml");
  EXPECT_EQ(sniff("<?xml version=\"1.0\"?><svgfoo/>"), "text/xml");
  EXPECT_EQ(sniff("<?xml version=\"1.0\"?><!-- unterminated"), "text/xml");
  EXPECT_EQ(sniff("<?xml version=\"1.0\"?>\n<html xmlns=\"http://www.w3.org/1999/xhtml\">"), "text/xml");
}

TEST(SniffTest, SvgCutOffBeforeItsRootIsStillMarkup) {
  std::string long_comment = "<!--" + std::string(2000, 'x') + "--><svg>";
  EXPECT_EQ(sniff(long_comment.substr(0, kSniffBytes)), "text/html");  // an attachment either way
}

TEST(SniffTest, EmptyAndTinyInputs) {
  EXPECT_EQ(sniff(""), std::nullopt);
  EXPECT_EQ(sniff("\xff"s), std::nullopt);
  EXPECT_EQ(sniff("\xff\xd8"s), std::nullopt);
  EXPECT_EQ(sniff("\xff\xd8\xff"s), "image/jpeg");
  EXPECT_EQ(sniff("GI"), std::nullopt);
  EXPECT_EQ(sniff("<"), std::nullopt);
  EXPECT_EQ(sniff("<?"), std::nullopt);
  EXPECT_EQ(sniff("\0"s), std::nullopt);
  EXPECT_EQ(sniff("\0\0\0"s), std::nullopt);
}

// Each prefix is copied into a buffer of exactly its size, so a read past the end is
// caught by AddressSanitizer (make test PRESET=asan).
TEST(SniffTest, PrefixesNeverReadPastTheEnd) {
  std::vector<std::string> inputs;
  for (const auto& sample : binary_samples()) inputs.push_back(sample.bytes);
  inputs.push_back("<?xml version=\"1.0\"?><!DOCTYPE svg [ ]><!-- c --><svg>");
  inputs.push_back(" <!DOCTYPE html>");
  for (const auto& input : inputs) {
    for (std::size_t n = 0; n <= input.size(); ++n) {
      auto buffer = std::make_unique<char[]>(n);
      std::copy_n(input.data(), n, buffer.get());
      auto type = sniff_content_type(std::string_view(buffer.get(), n));
      if (n <= 2) {
        EXPECT_EQ(type, std::nullopt) << input << " cut at " << n;
      }
    }
  }
}

TEST(SniffTest, RandomBytesNeverCrash) {
  std::mt19937_64 rng(42);
  for (int i = 0; i < 20000; ++i) {
    std::size_t n = rng() % 64;
    auto buffer = std::make_unique<char[]>(n);
    for (std::size_t j = 0; j < n; ++j)
      buffer[j] = static_cast<char>(rng() % 8 == 0 ? "<?!-sPK\xff"[rng() % 8] : rng());
    (void)sniff_content_type(std::string_view(buffer.get(), n));
  }
}

TEST(NormalizeContentTypeTest, LowercasesTheType) {
  EXPECT_EQ(normalize_content_type("image/PNG"), "image/png");
  EXPECT_EQ(normalize_content_type("Application/Vnd.MS-Excel"), "application/vnd.ms-excel");
  EXPECT_EQ(normalize_content_type("  image/svg+xml  "), "image/svg+xml");
}

TEST(NormalizeContentTypeTest, KeepsOnlyTheCharsetOfText) {
  EXPECT_EQ(normalize_content_type(" Text/HTML ; Charset=\"UTF-8\" "), "text/html; charset=utf-8");
  EXPECT_EQ(normalize_content_type("text/plain; format=flowed; charset=ISO-8859-1"),
            "text/plain; charset=iso-8859-1");
  EXPECT_EQ(normalize_content_type("text/plain;charset=utf-8;"), "text/plain; charset=utf-8");
  EXPECT_EQ(normalize_content_type("text/plain; charset=utf-8; charset=latin1"), "text/plain; charset=utf-8");
  EXPECT_EQ(normalize_content_type("application/json; charset=utf-8"), "application/json");
  EXPECT_EQ(normalize_content_type("image/png; name=\"a;b.png\""), "image/png");
  EXPECT_EQ(normalize_content_type("text/plain;;"), "text/plain");
}

TEST(NormalizeContentTypeTest, DropsACharsetThatIsNotAToken) {
  EXPECT_EQ(normalize_content_type("text/plain; charset=\"\""), "text/plain");
  EXPECT_EQ(normalize_content_type("text/plain; charset=\"utf 8\""), "text/plain");
  EXPECT_EQ(normalize_content_type("text/plain; charset=\"a\\\"b\""), "text/plain");
}

TEST(NormalizeContentTypeTest, RefusesMalformedValues) {
  for (const std::string& header : {""s,
                                    "   "s,
                                    "image"s,
                                    "image/"s,
                                    "/png"s,
                                    "*/*"s,
                                    "image/*"s,
                                    "*/png"s,
                                    "ima ge/png"s,
                                    "image/pn g"s,
                                    "image/png/x"s,
                                    "image / png"s,
                                    "text/plain; charset"s,
                                    "text/plain; charset="s,
                                    "text/plain; =utf-8"s,
                                    "text/plain; charset=\"utf-8"s,
                                    "text/plain; charset = utf-8"s,
                                    "text/plain; charset=utf 8"s,
                                    "text/html\r\nX-Evil: 1"s,
                                    "text/html; charset=utf-8\r\nX-Evil: 1"s,
                                    "image/png\0"s,
                                    "t\xc3\xa4xt/plain"s,
                                    "text/plain; charset=\"a\x01\""s,
                                    "text/plain; charset=\"a\\"s,
                                    "(text)/plain"s}) {
    EXPECT_EQ(normalize_content_type(header), std::nullopt) << header;
  }
}

TEST(NormalizeContentTypeTest, LimitsEachPartTo127Characters) {
  EXPECT_EQ(normalize_content_type("application/" + std::string(127, 'x')),
            "application/" + std::string(127, 'x'));
  EXPECT_EQ(normalize_content_type("application/" + std::string(128, 'x')), std::nullopt);
}

TEST(StoredContentTypeTest, DeclaredOnly) {
  EXPECT_EQ(stored_content_type("text/plain; charset=utf-8", std::nullopt), "text/plain; charset=utf-8");
}

TEST(StoredContentTypeTest, SniffedOnly) {
  EXPECT_EQ(stored_content_type(std::nullopt, "image/png"), "image/png");
}

TEST(StoredContentTypeTest, NeitherIsOctetStream) {
  EXPECT_EQ(stored_content_type(std::nullopt, std::nullopt), "application/octet-stream");
}

TEST(StoredContentTypeTest, AgreeingKeepsTheDeclaredParameters) {
  EXPECT_EQ(stored_content_type("text/html; charset=utf-8", "text/html"), "text/html; charset=utf-8");
  EXPECT_EQ(stored_content_type("image/png", "image/png"), "image/png");
}

TEST(StoredContentTypeTest, DisagreeingTakesTheSniffedType) {
  EXPECT_EQ(stored_content_type("image/png", "text/html"), "text/html");
  EXPECT_EQ(stored_content_type("text/plain; charset=utf-8", "image/svg+xml"), "image/svg+xml");
  EXPECT_EQ(stored_content_type("image/jpeg", "image/png"), "image/png");
  EXPECT_EQ(stored_content_type("application/pdf", "application/zip"), "application/zip");
  EXPECT_EQ(stored_content_type("text/plain", "text/xml"), "text/xml");
  EXPECT_EQ(stored_content_type("video/mp4", "audio/mp4"), "audio/mp4");
}

TEST(StoredContentTypeTest, RefinementsOfTheContainerKeepTheDeclaredType) {
  const std::string docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
  EXPECT_EQ(stored_content_type(docx, "application/zip"), docx);
  EXPECT_EQ(stored_content_type("application/epub+zip", "application/zip"), "application/epub+zip");
  EXPECT_EQ(stored_content_type("audio/mp4", "video/mp4"), "audio/mp4");
  EXPECT_EQ(stored_content_type("image/svg+xml", "text/xml"), "image/svg+xml");
  EXPECT_EQ(stored_content_type("application/xml", "text/xml"), "application/xml");
  EXPECT_EQ(stored_content_type("video/ogg", "audio/ogg"), "video/ogg");
  EXPECT_EQ(stored_content_type("audio/webm", "video/webm"), "audio/webm");
}

TEST(StoredContentTypeTest, ComparesTypesIgnoringCaseAndParameters) {
  EXPECT_EQ(stored_content_type("Text/HTML; charset=utf-8", "text/html"), "Text/HTML; charset=utf-8");
}

TEST(ThumbnailableTest, OnlyPngJpegGifWebp) {
  for (const char* type :
       {"image/png", "image/jpeg", "image/gif", "image/webp", "IMAGE/PNG", "image/png; x=y"}) {
    EXPECT_TRUE(thumbnailable(type)) << type;
  }
  for (const char* type : {"image/svg+xml", "image/bmp", "image/avif", "image/heic", "image/tiff",
                           "text/html", "application/octet-stream", "", "image/pngx"}) {
    EXPECT_FALSE(thumbnailable(type)) << type;
  }
}

TEST(ServedInlineTest, Allowlist) {
  for (const char* type :
       {"image/png", "image/jpeg", "image/gif",  "image/webp",       "image/avif",
        "image/bmp", "video/mp4",  "audio/mp4",  "video/webm",       "audio/webm",
        "audio/ogg", "video/ogg",  "audio/mpeg", "audio/wav",        "audio/flac",
        "audio/aac", "text/plain", "text/csv",   "application/json", "text/plain; charset=utf-8",
        "IMAGE/PNG"}) {
    EXPECT_TRUE(served_inline(type)) << type;
  }
}

TEST(ServedInlineTest, ActiveAndUnknownTypesAreAttachments) {
  for (const char* type : {"image/svg+xml",
                           "text/html",
                           "text/html; charset=utf-8",
                           "application/xhtml+xml",
                           "text/xml",
                           "application/xml",
                           "application/pdf",
                           "application/octet-stream",
                           "text/javascript",
                           "application/javascript",
                           "application/x-shockwave-flash",
                           "text/css",
                           "image/x-icon",
                           "image/tiff",
                           "application/zip",
                           "video/quicktime",
                           "multipart/x-mixed-replace",
                           "",
                           "text/plain/x",
                           "image/png2"}) {
    EXPECT_FALSE(served_inline(type)) << type;
  }
}

TEST(ContentDispositionTest, WithoutName) {
  EXPECT_EQ(content_disposition(true, ""), "inline");
  EXPECT_EQ(content_disposition(false, ""), "attachment");
}

TEST(ContentDispositionTest, PlainAsciiName) {
  EXPECT_EQ(content_disposition(false, "report.pdf"), "attachment; filename=\"report.pdf\"");
  EXPECT_EQ(content_disposition(true, "my photo (1).jpg"), "inline; filename=\"my photo (1).jpg\"");
}

TEST(ContentDispositionTest, QuotesAndBackslashesNeedTheExtendedForm) {
  EXPECT_EQ(content_disposition(false, "a\"b.txt"),
            "attachment; filename=\"a_b.txt\"; filename*=UTF-8''a%22b.txt");
  EXPECT_EQ(content_disposition(false, "a\\b.txt"),
            "attachment; filename=\"a_b.txt\"; filename*=UTF-8''a%5Cb.txt");
  EXPECT_EQ(content_disposition(false, "a;b=c.txt"),
            "attachment; filename=\"a_b=c.txt\"; filename*=UTF-8''a%3Bb%3Dc.txt");
  EXPECT_EQ(content_disposition(false, "100%.txt"),
            "attachment; filename=\"100_.txt\"; filename*=UTF-8''100%25.txt");
}

TEST(ContentDispositionTest, Utf8Names) {
  EXPECT_EQ(content_disposition(false, "r\xc3\xa9sum\xc3\xa9.pdf"),
            "attachment; filename=\"r_sum_.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf");
  EXPECT_EQ(content_disposition(true, "\xf0\x9f\x98\x80.png"),
            "inline; filename=\"_.png\"; filename*=UTF-8''%F0%9F%98%80.png");
}

TEST(ContentDispositionTest, CrlfCannotInjectHeaders) {
  auto header = content_disposition(false, "a\r\nSet-Cookie: x=1");
  EXPECT_EQ(header,
            "attachment; filename=\"a__Set-Cookie: x=1\"; filename*=UTF-8''a%0D%0ASet-Cookie%3A%20x%3D1");
  EXPECT_EQ(
      content_disposition(false, "a\"; filename=evil.html"),
      "attachment; filename=\"a__ filename=evil.html\"; filename*=UTF-8''a%22%3B%20filename%3Devil.html");
}

TEST(ContentDispositionTest, InvalidUtf8GetsOnlyTheFallback) {
  EXPECT_EQ(content_disposition(false, "a\xff.txt"), "attachment; filename=\"a_.txt\"");
}

TEST(ContentDispositionTest, RandomNamesNeverBreakTheHeader) {
  std::mt19937_64 rng(3);
  for (int i = 0; i < 20000; ++i) {
    std::string name(rng() % 12, '\0');
    for (auto& c : name) c = static_cast<char>(rng());
    auto header = content_disposition(rng() % 2 == 0, name);
    for (char c : header) {
      auto b = static_cast<unsigned char>(c);
      ASSERT_TRUE(b >= 0x20 && b < 0x7f) << header;
    }
    ASSERT_LE(std::count(header.begin(), header.end(), '"'), 2) << header;
  }
}

TEST(CleanFilenameTest, KeepsOrdinaryNames) {
  EXPECT_EQ(clean_filename("photo.jpg"), "photo.jpg");
  EXPECT_EQ(clean_filename("my file (1).tar.gz"), "my file (1).tar.gz");
  EXPECT_EQ(clean_filename("r\xc3\xa9sum\xc3\xa9.pdf"), "r\xc3\xa9sum\xc3\xa9.pdf");
  EXPECT_EQ(clean_filename("\xf0\x9f\x98\x80.png"), "\xf0\x9f\x98\x80.png");
  EXPECT_EQ(clean_filename("...hidden"), "...hidden");
  EXPECT_EQ(clean_filename(".bashrc"), ".bashrc");
}

TEST(CleanFilenameTest, StripsPathsToTheLastSegment) {
  EXPECT_EQ(clean_filename("../../etc/passwd"), "passwd");
  EXPECT_EQ(clean_filename("/etc/passwd"), "passwd");
  EXPECT_EQ(clean_filename("..\\..\\windows\\system32\\cmd.exe"), "cmd.exe");
  EXPECT_EQ(clean_filename("C:\\Users\\me\\file.txt"), "file.txt");
  EXPECT_EQ(clean_filename("a/b\\c"), "c");
}

TEST(CleanFilenameTest, RefusesEmptyAndDotSegments) {
  for (const char* name : {"", ".", "..", "/", "\\", "dir/", "a/..", "a/.", "../", "..\\..", "/.."}) {
    EXPECT_EQ(clean_filename(name), std::nullopt) << name;
  }
}

TEST(CleanFilenameTest, LengthLimitsTheCleanedName) {
  EXPECT_EQ(clean_filename(std::string(255, 'a')), std::string(255, 'a'));
  EXPECT_EQ(clean_filename(std::string(256, 'a')), std::nullopt);
  std::string deep_path(300, '/');
  deep_path.push_back('x');
  EXPECT_EQ(clean_filename(deep_path), "x");
}

TEST(CleanFilenameTest, RefusesControlCharacters) {
  for (const std::string& name : {"a\nb"s, "a\rb"s, "a\0b"s, "\t"s, "a\x7f"s, "a\x1b[31m"s, "a\xc2\x85"s}) {
    EXPECT_EQ(clean_filename(name), std::nullopt) << name;
  }
}

TEST(CleanFilenameTest, RefusesBidiControlsThatDisguiseExtensions) {
  EXPECT_EQ(clean_filename("photo\xe2\x80\xaegnp.exe"), std::nullopt);  // U+202E RIGHT-TO-LEFT OVERRIDE
  EXPECT_EQ(clean_filename("a\xe2\x81\xa6"
                           "b"),
            std::nullopt);  // U+2066 LEFT-TO-RIGHT ISOLATE
}

TEST(CleanFilenameTest, RefusesInvalidUtf8) {
  for (const std::string& name : {"\xff"s, "a\xfe.txt"s, "\xc0\xaf"s,
                                  "..\xc0\xaf..\xc0\xaf"
                                  "etc"s,
                                  "\xed\xa0\x80"s, "\xf4\x90\x80\x80"s, "\xe2\x82"s, "\x80"s,
                                  "\xf8\x88\x80\x80\x80"s, "\xe0\x80\xaf"s, "\xf0\x80\x80\xaf"s}) {
    EXPECT_EQ(clean_filename(name), std::nullopt) << name;
  }
}

TEST(CleanFilenameTest, AcceptsTheUtf8Boundaries) {
  EXPECT_EQ(clean_filename("\xc2\xa0"), "\xc2\xa0");                  // U+00A0
  EXPECT_EQ(clean_filename("\xef\xbf\xbd"), "\xef\xbf\xbd");          // U+FFFD
  EXPECT_EQ(clean_filename("\xf4\x8f\xbf\xbf"), "\xf4\x8f\xbf\xbf");  // U+10FFFF
}

TEST(MediaCspTest, RunsNothing) {
  std::string csp(media_csp());
  EXPECT_TRUE(csp.starts_with("sandbox;"));
  EXPECT_NE(csp.find("default-src 'none'"), std::string::npos);
  EXPECT_NE(csp.find("script-src 'none'"), std::string::npos);
  EXPECT_NE(csp.find("object-src 'none'"), std::string::npos);
  EXPECT_EQ(csp.find("allow-"), std::string::npos);
  EXPECT_EQ(csp.find("unsafe-eval"), std::string::npos);
  EXPECT_EQ(csp.find_first_of("\r\n"), std::string::npos);
}

}  // namespace
}  // namespace bartab::media
