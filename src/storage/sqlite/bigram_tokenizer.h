// The FTS5 tokenizer behind SQLite's case search: every pair of neighbouring characters of a text
// is a token ("楼道漏水" → 楼道, 道漏, 漏水), so a phrase of them matches exactly where the text
// contains the query as a substring — from two characters up. Chinese words are mostly two
// characters (漏水, 噪音, 停车), which a trigram index cannot find.
#pragma once

#include <sqlite3.h>

#include <string_view>

#include "core/result.h"

namespace linli::storage {

inline constexpr std::string_view kBigramTokenizer = "linli_bigram";

// Registers the tokenizer on one connection; every connection that reads or writes case_search
// needs it (FTS5 looks tokenizers up per connection).
Status RegisterBigramTokenizer(sqlite3* db);

}  // namespace linli::storage
