// The samplers, in the order --help lists them; one line each.
// HOLD_SAMPLER(id) registers detail::id_sampler() (defined in id.cpp).
// Adding a sampler: its file and one line here (no include guard: expanded
// twice by sampler_registry.h/.cpp).
HOLD_SAMPLER(em)
HOLD_SAMPLER(lt)
HOLD_SAMPLER(pc)
HOLD_SAMPLER(ode)
HOLD_SAMPLER(ei)
HOLD_SAMPLER(dpmpp2m)
HOLD_SAMPLER(edm)
