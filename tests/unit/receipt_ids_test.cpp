// Which submit_sm_resp ids a receipt's id may stand for.
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "daemon/inbound.hpp"

namespace smsgw::daemon {
namespace {

using ::testing::ElementsAre;

TEST(ReceiptIdForms, DecimalIdAlsoMatchesItsHexadecimalFormButNeverReadsAsHex) {
  // "100" is 0x64, never 256: reading it as hex would match another message.
  EXPECT_THAT(receipt_id_forms("100"), ElementsAre("100", "100", "64", "64"));
  EXPECT_THAT(receipt_id_forms("000123"), ElementsAre("000123", "123", "7b", "7B"));
}

TEST(ReceiptIdForms, HexadecimalIdAlsoMatchesItsDecimalFormAndOtherCase) {
  EXPECT_THAT(receipt_id_forms("7A3F2B"), ElementsAre("7A3F2B", "8011563", "7a3f2b", "7A3F2B"));
}

TEST(ReceiptIdForms, OtherIdsMatchOnlyThemselves) {
  EXPECT_THAT(receipt_id_forms("msg-42"), ElementsAre("msg-42"));
  EXPECT_THAT(receipt_id_forms("99999999999999999999999"), ElementsAre("99999999999999999999999"));
  EXPECT_THAT(receipt_id_forms(""), ElementsAre(""));
}

}  // namespace
}  // namespace smsgw::daemon
