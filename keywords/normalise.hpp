// Text normalisation for keyword matching: pure, no I/O.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace smsgw::keywords {

/// Normalises an MO text (UTF-8) for matching: Unicode-aware trim, runs of whitespace
/// collapsed to one ASCII space, full Unicode case folding then upper-cased ASCII letters
/// (so `stop`, `STOP`, `Stop` compare equal), punctuation at the start and end of every
/// word removed (`STOP.`, `stop!`, `"movie"`), invisible characters dropped (zero-width
/// spaces and joiners, BOM, soft hyphens, NUL padding and other controls). Invalid UTF-8
/// bytes become U+FFFD.
std::string normalise(std::string_view utf8);

/// Splits a normalised text into its words.
std::vector<std::string> words(std::string_view normalised);

}  // namespace smsgw::keywords
