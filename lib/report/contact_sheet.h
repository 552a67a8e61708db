// Contact sheets: rows of equally sized pictures tiled into one image a person can open.
#pragma once
#include <vector>

#include <torch/torch.h>

#include "io/rgb8.h"

namespace idef {

// Tiles rows of pictures (all cells the size of the first) with `gap` pixels of white
// between cells; short rows are padded with white.
Rgb8 tile_rows(const std::vector<std::vector<Rgb8>>& rows, int gap = 2);

// Same from tensors: each entry of `columns` is a [N,3,H,W] batch in [-1,1]; row i shows
// image i of every column.
Rgb8 tile_columns(const std::vector<torch::Tensor>& columns, int gap = 2);

}  // namespace idef
