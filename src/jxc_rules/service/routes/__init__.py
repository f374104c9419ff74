"""One router per area: kernels, reservation, jobs, admin."""
