#include "hp/core.hpp"

namespace hp {

std::string version() { return HP_VERSION_STRING; }

}  // namespace hp
