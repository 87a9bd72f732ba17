// Boost.Asio and Boost.Beast are compiled once, here, instead of in every translation
// unit that includes them (BOOST_ASIO_SEPARATE_COMPILATION and
// BOOST_BEAST_SEPARATE_COMPILATION are set for every target that links bartab_core).
#include <boost/asio/impl/src.hpp>
#include <boost/beast/src.hpp>
