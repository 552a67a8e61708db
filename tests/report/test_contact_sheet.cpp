#include "report/contact_sheet.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace {

idef::Rgb8 flat(int w, int h, std::uint8_t v) {
  idef::Rgb8 im(w, h);
  std::fill(im.pixels.begin(), im.pixels.end(), v);
  return im;
}

}  // namespace

TEST(ContactSheet, TilesRowsWithWhiteGapsAndPadsShortRows) {
  // Two rows: three cells, then one; 4x3 cells with a 2 px gap.
  idef::Rgb8 sheet = idef::tile_rows({{flat(4, 3, 10), flat(4, 3, 20), flat(4, 3, 30)}, {flat(4, 3, 40)}}, 2);
  EXPECT_EQ(sheet.width, 3 * 4 + 2 * 2);
  EXPECT_EQ(sheet.height, 2 * 3 + 2);
  EXPECT_EQ(sheet.at(0, 0, 0), 10);
  EXPECT_EQ(sheet.at(6, 2, 1), 20);    // second cell, last row of it
  EXPECT_EQ(sheet.at(15, 0, 2), 30);   // third cell, last column
  EXPECT_EQ(sheet.at(4, 0, 0), 255);   // the gap between cells
  EXPECT_EQ(sheet.at(0, 3, 0), 255);   // the gap between rows
  EXPECT_EQ(sheet.at(0, 5, 0), 40);    // second row
  EXPECT_EQ(sheet.at(6, 5, 0), 255);   // padding of the short row
  EXPECT_THROW(idef::tile_rows({{flat(4, 3, 0), flat(3, 3, 0)}}), std::invalid_argument);
  EXPECT_THROW(idef::tile_rows({}), std::invalid_argument);
}

TEST(ContactSheet, ColumnsOfTensorsBecomeOneRowPerImage) {
  // Two columns of two 2x2 images: -1 is black, 1 is white.
  torch::Tensor black = -torch::ones({2, 3, 2, 2}), white = torch::ones({2, 3, 2, 2});
  idef::Rgb8 sheet = idef::tile_columns({black, white}, 1);
  EXPECT_EQ(sheet.width, 2 * 2 + 1);
  EXPECT_EQ(sheet.height, 2 * 2 + 1);
  EXPECT_EQ(sheet.at(0, 0, 0), 0);
  EXPECT_EQ(sheet.at(3, 0, 0), 255);
  EXPECT_EQ(sheet.at(1, 4, 2), 0);  // row 2, first column
  EXPECT_THROW(idef::tile_columns({}), std::invalid_argument);
}
