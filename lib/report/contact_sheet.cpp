#include "report/contact_sheet.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "io/tensor_image.h"

namespace idef {

Rgb8 tile_rows(const std::vector<std::vector<Rgb8>>& rows, int gap) {
  if (rows.empty() || rows.front().empty()) throw std::invalid_argument("tile_rows: nothing to tile");
  const int cw = rows.front().front().width, ch = rows.front().front().height;
  std::size_t columns = 0;
  for (const auto& r : rows) columns = std::max(columns, r.size());
  const int width = static_cast<int>(columns) * (cw + gap) - gap;
  const int height = static_cast<int>(rows.size()) * (ch + gap) - gap;
  Rgb8 sheet(width, height);
  std::fill(sheet.pixels.begin(), sheet.pixels.end(), 255);
  for (std::size_t r = 0; r < rows.size(); ++r)
    for (std::size_t c = 0; c < rows[r].size(); ++c) {
      const Rgb8& cell = rows[r][c];
      if (cell.width != cw || cell.height != ch) throw std::invalid_argument("tile_rows: cells differ in size");
      const int x0 = static_cast<int>(c) * (cw + gap), y0 = static_cast<int>(r) * (ch + gap);
      for (int y = 0; y < ch; ++y)
        std::memcpy(sheet.data() + (std::size_t(y0 + y) * width + x0) * 3, cell.data() + std::size_t(y) * cw * 3,
                    std::size_t(cw) * 3);
    }
  return sheet;
}

Rgb8 tile_columns(const std::vector<torch::Tensor>& columns, int gap) {
  if (columns.empty()) throw std::invalid_argument("tile_columns: nothing to tile");
  std::vector<std::vector<Rgb8>> rows(columns.front().size(0));
  for (const auto& column : columns) {
    auto cells = tensor_to_rgb8_batch(column.detach().to(torch::kCPU));
    for (std::size_t i = 0; i < rows.size() && i < cells.size(); ++i) rows[i].push_back(std::move(cells[i]));
  }
  return tile_rows(rows, gap);
}

}  // namespace idef
