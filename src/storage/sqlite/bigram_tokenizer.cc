#include "storage/sqlite/bigram_tokenizer.h"

#include <string>

#include "domain/text.h"

namespace linli::storage {

namespace {

// The tokenizer keeps no state (no settings, nothing between calls), so every table that uses it
// shares one instance; FTS5 needs a non-null handle to pass back to Tokenize and Delete.
int Create(void*, const char**, int, Fts5Tokenizer** out) {
  static int instance;
  *out = reinterpret_cast<Fts5Tokenizer*>(&instance);
  return SQLITE_OK;
}

void Delete(Fts5Tokenizer*) {}

// Documents and queries alike: one token per pair of neighbouring characters. A text of one
// character has none (the caller searches those without the index).
int Tokenize(Fts5Tokenizer*, void* ctx, int, const char* text, int size,
             int (*emit)(void*, int, const char*, int, int, int)) {
  if (size <= 0) return SQLITE_OK;
  for (std::string_view pair : domain::CharacterPairs(std::string_view(text, static_cast<std::size_t>(size)))) {
    auto start = static_cast<int>(pair.data() - text);
    auto bytes = static_cast<int>(pair.size());
    if (int rc = emit(ctx, 0, pair.data(), bytes, start, start + bytes); rc != SQLITE_OK) return rc;
  }
  return SQLITE_OK;
}

}  // namespace

Status RegisterBigramTokenizer(sqlite3* db) {
  // FTS5 hands out its API through a pointer bound to `SELECT fts5(?)`.
  fts5_api* api = nullptr;
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &stmt, nullptr) != SQLITE_OK) {
    return Error::Internal(std::string("FTS5 is not available: ") + sqlite3_errmsg(db));
  }
  sqlite3_bind_pointer(stmt, 1, static_cast<void*>(&api), "fts5_api_ptr", nullptr);
  sqlite3_step(stmt);
  sqlite3_finalize(stmt);
  if (api == nullptr || api->iVersion < 2) return Error::Internal("FTS5's API is not available");
  fts5_tokenizer tokenizer{&Create, &Delete, &Tokenize};
  if (api->xCreateTokenizer(api, kBigramTokenizer.data(), nullptr, &tokenizer, nullptr) != SQLITE_OK) {
    return Error::Internal(std::string("cannot register the bigram tokenizer: ") + sqlite3_errmsg(db));
  }
  return Ok();
}

}  // namespace linli::storage
