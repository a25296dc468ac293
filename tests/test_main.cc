// gtest main shared by the test binaries: libsodium initialised, Argon2id at its cheapest so
// tests that create many accounts stay fast (the production cost is exercised by the API tests).
#include <gtest/gtest.h>

#include "core/crypto.h"

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  linli::crypto::InitCrypto();
  linli::crypto::SetPasswordCostForTests(true);
  return RUN_ALL_TESTS();
}
