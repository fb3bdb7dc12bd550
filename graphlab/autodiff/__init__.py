"""The engine: Tensor, Function, the backward walk and its Trace."""
