#include "core/sha256.h"

#include <gtest/gtest.h>

#include "test_util.h"

// FIPS 180-4 example vectors.
TEST(Sha256, KnownVectors) {
  EXPECT_EQ(idef::sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(idef::sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(idef::sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256, AgreesWithSha256sumOnAMillionBytes) {
  std::string data(1000000, 'a');
  auto r = idef::test::run_command("head -c 1000000 /dev/zero | tr '\\0' a | sha256sum");
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out.substr(0, 64), idef::sha256_hex(data));
}
