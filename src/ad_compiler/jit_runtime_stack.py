"""`jit=True`: a tape of known small size in the compiled function's own stack frame (jit_tape.py).

`tape_floats = _ad.jit.stack_empty(220, np.float64)` is `np.empty(220)` whose memory is the frame's: an LLVM
`alloca` in the entry block of the function that calls it (Numba inlines an intrinsic's code into its
caller), with no reference count. Allocating and freeing the same array from Numba's heap costs 50-60 ns a call, about a
tenth of the compiled building simulation's gradient. Exact where the array never outlives the call and
never leaves the function: jit_tape uses it only for the tapes of numbers (indexed reads and stores, in the
function that makes them), and only when the size is a constant of at most STACK_BYTES bytes.
"""
try:
    import numba
    from numba.core import cgutils, types
    from numba.np.arrayobj import make_array, populate_array
except ImportError:  # (jit.py reports it, located, when a derivative asks for jit=True)
    numba = None

STACK_BYTES = 8192  # (at most a few pages: threads may have small stacks)


def stack_empty(n, dtype):
    """np.empty(n, dtype) in the calling compiled function's frame (compiled code only)."""
    raise TypeError("stack_empty is called by compiled derivatives only (jit=True)")


if numba is not None:
    @numba.extending.intrinsic
    def stack_empty(typingctx, n, dtype):  # noqa: F811  (what compiled code calls)
        elem = getattr(dtype, "dtype", None)  # (np.float64, np.int64, np.bool_: their number class)
        if not isinstance(n, types.IntegerLiteral) or n.literal_value < 0 or \
                not isinstance(elem, (types.Float, types.Integer, types.Boolean)):
            return None
        size = n.literal_value
        array_type = types.Array(elem, 1, "C")

        def codegen(context, builder, signature, args):
            data_type = context.get_data_type(elem)
            itemsize = context.get_abi_sizeof(data_type)
            intp = context.get_value_type(types.intp)
            data = cgutils.alloca_once(builder, data_type, size=intp(max(size, 1)))  # (in the entry block)
            array = make_array(array_type)(context, builder)
            populate_array(array, data=data, shape=[intp(size)], strides=[intp(itemsize)],
                           itemsize=intp(itemsize), meminfo=None)
            return array._getvalue()
        return array_type(n, dtype), codegen
