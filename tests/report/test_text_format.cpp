#include "report/text_format.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

TEST(TextFormat, JsonLinesEscapeNamesAndWriteNullForNonFiniteNumbers) {
  idef::Json j{{"path", "a\"b\\c\nd"}, {"nan", std::nan("")}, {"inf", std::numeric_limits<double>::infinity()},
               {"x", 0.25}};
  const std::string line = idef::json_line(j);
  EXPECT_EQ(line, "{\"path\":\"a\\\"b\\\\c\\nd\",\"nan\":null,\"inf\":null,\"x\":0.25}\n");
  EXPECT_EQ(nlohmann::json::parse(line)["path"], "a\"b\\c\nd");
  // A file name is bytes: invalid UTF-8 is replaced, not thrown on.
  const std::string bytes = idef::json_line(idef::Json{{"name", std::string("caf\xe9.png")}});
  EXPECT_NO_THROW(nlohmann::json::parse(bytes));
  EXPECT_NE(bytes.find("caf"), std::string::npos);
}

TEST(TextFormat, CsvQuotesWhatNeedsItAndSpellsOutNonFiniteNumbers) {
  EXPECT_EQ(idef::csv_field("plain"), "plain");
  EXPECT_EQ(idef::csv_field("a,b"), "\"a,b\"");
  EXPECT_EQ(idef::csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(idef::csv_field("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(idef::csv_number(std::nan("")), "n/a");
  EXPECT_EQ(idef::csv_number(std::numeric_limits<double>::infinity()), "inf");
  EXPECT_EQ(idef::csv_number(-std::numeric_limits<double>::infinity()), "-inf");
  EXPECT_EQ(idef::csv_number(0.125), "0.125");
}

TEST(TextFormat, CsvRowsFormatEachCellByItsType) {
  const std::int64_t big = 1234567890123;
  EXPECT_EQ(idef::csv_row({"name", "a,b", std::string("say \"hi\""), 0.5, big, 7, true, false, std::nan("")}),
            "name,\"a,b\",\"say \"\"hi\"\"\",0.5,1234567890123,7,1,0,n/a\n");
  EXPECT_EQ(idef::csv_row({"", "x"}), ",x\n");  // an empty first field keeps its place
  EXPECT_EQ(idef::csv_row({std::size_t{3}}), "3\n");
}
