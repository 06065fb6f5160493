"""Column names, shapes and dtypes of every table the kit reads or writes (SPEC section 5).

Kept at the package root with no imports beyond the standard library so that the
rules layer (`shogi`) and the table layer (`data`) can share one source of truth.
"""

MOVE_LABELS_NUM = 1496
BOARD_SHAPE = (9, 9)
HAND_SIZE = 14
NUM_PIECE_IDS = 29  # 0 empty, 1..14 mover's pieces, 15..28 opponent's
# Most pieces of each hand kind (FU KY KE GI KI KA HI) one side can hold; the hand
# vector repeats them for the opponent. Models divide raw counts by these.
HAND_MAX_COUNTS = (18, 4, 4, 4, 4, 2, 2)

# Shared feature columns
ID = "id"
BOARD = "boardIdPositions"
HAND = "piecesInHand"

# Stage 1
REACHABLE = "reachableSquares"
# Stage 2
LEGAL_MOVES = "legalMovesLabel"
# Stage 3
MOVE_LABEL = "moveLabel"
RESULT_VALUE = "resultValue"
MOVE_WIN_RATE = "moveWinRate"

# Games table (HCPE-like) plus the two columns that make game-level splits possible
HCP = "hcp"
EVAL = "eval"
BEST_MOVE16 = "bestMove16"
GAME_RESULT = "gameResult"
RATINGS = "ratings"
ENDGAME_STATUS = "endgameStatus"
MOVES = "moves"
GAME_ID = "gameId"
PLY = "ply"

# HCPE gameResult codes (cshogi): 0 draw, 1 Black win, 2 White win
RESULT_DRAW = 0
RESULT_BLACK_WIN = 1
RESULT_WHITE_WIN = 2
RESULT_NONE = -1  # games table only: interrupted or unfinished game, no winner recorded

STAGE1_COLUMNS = (ID, BOARD, HAND, REACHABLE)
STAGE2_COLUMNS = (ID, BOARD, HAND, LEGAL_MOVES)
STAGE3_COLUMNS = (ID, BOARD, HAND, MOVE_LABEL, RESULT_VALUE)
GAMES_COLUMNS = (
    HCP,
    EVAL,
    BEST_MOVE16,
    GAME_RESULT,
    ID,
    RATINGS,
    ENDGAME_STATUS,
    MOVES,
    GAME_ID,
    PLY,
)
