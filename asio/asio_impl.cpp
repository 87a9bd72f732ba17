// Boost.Asio and Boost.Beast compiled once, here, instead of in every translation unit
// that includes them: BOOST_ASIO_SEPARATE_COMPILATION and
// BOOST_BEAST_SEPARATE_COMPILATION are set PUBLIC on `bartab_asio`, so every target that
// links it (bartab_core, bartab_sdk, or both in one program) shares these symbols.
#include <boost/asio/impl/src.hpp>
#include <boost/beast/src.hpp>
