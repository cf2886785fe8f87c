"""`headway demo`: the cast, the scripted story and its acts, and the printer that shows what each person sees.

`run` starts everything (emulator, Headway, a throwaway database); `stage` holds what every act uses; `scenario`
lists the acts; `standups` and `portfolio` are the longer acts; `cast` is the workspace; `printer` the output.
"""
