// SPDX-License-Identifier: MIT
// CRC-32 with zlib's polynomial and conventions, so that a matopt file's integrity header can be
// checked from Python with zlib.crc32(data[512:]) (see docs/file-formats.md).
#pragma once

#include <cstddef>
#include <cstdint>

namespace matopt::detail {

/// @brief Continues a CRC-32: crc32_update(0, a) then crc32_update(that, b) equals the CRC of a+b.
std::uint32_t crc32_update(std::uint32_t crc, const void* data, std::size_t size) noexcept;

}  // namespace matopt::detail
