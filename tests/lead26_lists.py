import numpy as np

def append_loop(x, T=5):
    outs = []
    h = x
    for t in range(T):
        h = np.tanh(h * 0.9 + 0.1)
        outs.append(h)
    return np.sum(np.stack(outs) ** 2)

def append_break(x):
    outs = []
    h = x
    for t in range(6):
        h = np.sin(h) + x
        if np.sum(h) > 2.5:
            break
        outs.append(h * t)
    return np.sum(outs[0] * outs[-1]) + len(outs)

def two_names_in_loop(x):
    a = [x]
    b = a
    for t in range(3):
        a.append(b[-1] * x)
        b.append(a[0] + a[-1])
    return np.sum(a[-1] * b[-2])

def pop_and_push(x):
    st = [x * 1.0, x * 2.0]
    for t in range(4):
        v = st.pop()
        st.append(v * x)
        st.append(np.cos(v))
    return np.sum(st[-1] * st[0]) + np.sum(st[1])

def nested_lists(x):
    rows = []
    for i in range(3):
        row = []
        for j in range(2):
            row.append(x[j] * (i + 1.0) + x[i])
        rows.append(row)
    return sum(r[0] * r[1] for r in rows)

def item_replaced_in_loop(x):
    L = [x * 0.0]
    for t in range(3):
        L.append(L[-1] + x ** 2)
        L[0] = L[-1] * 2.0
    return np.sum(L[0] * L[1]) + np.sum(L[-1])

def while_list(x):
    L = [x]
    n = 0
    while n < 3:
        L.append(np.sin(L[-1]) * x)
        n += 1
    s = 0.0
    while L:
        s = s + np.sum(L.pop() ** 2)
    return s

def inserts(x):
    L = []
    for t in range(3):
        L.insert(0, x * (t + 1.0))
        L.extend([x[0] * L[0]])
    return np.sum(L[0]) + np.sum(L[-1] * L[1])

def list_of_lists_loop(x):
    acc = [[x]]
    for t in range(3):
        acc[-1].append(acc[-1][-1] * x)
        acc.append([acc[-1][0] + 1.0])
    return np.sum(acc[0][-1] * acc[-1][0])

def list_kept_then_changed(x):
    outs = []
    keep = outs
    for t in range(3):
        outs.append(x * t)
        if t == 1:
            keep = list(outs)
    return np.sum(keep[-1] * outs[-1])

FS = [append_loop, append_break, two_names_in_loop, pop_and_push, nested_lists, item_replaced_in_loop,
      while_list, inserts, list_of_lists_loop, list_kept_then_changed]

# (refused today, exactly: over-refusals of the alias pass, not wrong)
REFUSED = [list_of_lists_loop, list_kept_then_changed]
