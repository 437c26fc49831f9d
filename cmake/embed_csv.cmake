# Writes a C++ source that returns a data file's text, so the library works without the source tree
# (hp-cli validate, infer-validate). Run at build time by hp_embed_csv() in libhp/CMakeLists.txt:
#   cmake -DINPUT=file.csv -DOUTPUT=file.cpp -DFUNCTION=name -DHEADER=hp/x.hpp -P cmake/embed_csv.cmake
# The text goes into raw-string pieces of at most 12,000 bytes (adjacent literals concatenate byte for byte;
# MSVC limits one piece to 16,380), so the CSV is the only copy in the repository.
file(READ "${INPUT}" text)
string(FIND "${text}" ")HPCSV" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${INPUT}: the raw-string delimiter )HPCSV occurs in the file")
endif()
get_filename_component(name "${INPUT}" NAME)
set(out "// Generated at build time by cmake/embed_csv.cmake from ${name}. Do not edit.\n")
string(APPEND out "#include \"${HEADER}\"\n\nnamespace hp {\n\nconst std::string& ${FUNCTION}() {\n")
string(APPEND out "  static const std::string text = std::string()")
string(LENGTH "${text}" size)
set(offset 0)
while(offset LESS size)
  string(SUBSTRING "${text}" ${offset} 12000 piece)
  string(APPEND out "\n      + R\"HPCSV(${piece})HPCSV\"")
  math(EXPR offset "${offset} + 12000")
endwhile()
string(APPEND out ";\n  return text;\n}\n\n}  // namespace hp\n")
file(WRITE "${OUTPUT}.tmp" "${out}")
# configure_file rewrites the output only when the text changed, so an unchanged CSV recompiles nothing.
configure_file("${OUTPUT}.tmp" "${OUTPUT}" COPYONLY)
file(REMOVE "${OUTPUT}.tmp")
