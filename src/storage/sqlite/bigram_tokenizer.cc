#include "storage/sqlite/bigram_tokenizer.h"

#include <algorithm>
#include <string>

namespace linli::storage {

namespace {

// Bytes of the UTF-8 character that starts with `lead`; a stray continuation or invalid byte
// counts as one character, so any input tokenizes without reading past its end.
int CharBytes(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead & 0xE0) == 0xC0) return 2;
  if ((lead & 0xF0) == 0xE0) return 3;
  if ((lead & 0xF8) == 0xF0) return 4;
  return 1;
}

// The tokenizer has no settings, so its instance is a placeholder FTS5 only hands back.
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
  int previous = -1;
  for (int at = 0; at < size;) {
    int end = std::min(size, at + CharBytes(static_cast<unsigned char>(text[at])));
    if (previous >= 0) {
      if (int rc = emit(ctx, 0, text + previous, end - previous, previous, end); rc != SQLITE_OK) return rc;
    }
    previous = at;
    at = end;
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
