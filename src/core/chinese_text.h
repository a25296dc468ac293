// Text in search form: traditional characters turned simplified (OpenCC's t2s), Latin letters
// lower-cased, full-width ASCII made half-width, runs of white space made one space. Search
// text is stored and queried in this form, so 噪音/噪聲, ＡＢＣ/abc find each other.
#pragma once

#include <string>
#include <string_view>

namespace linli {

std::string SearchForm(std::string_view text);

}  // namespace linli
