"""Denials, notices and mentions: the words that make a violation also make its opposite.

A host who says 这不是医疗器械，不治病 or 未成年的宝宝千万不要打赏 uses the rule's words
to stay inside the rule; 未成年人请勿打赏 is a notice; 抗癌这种话我们不会说 only names
them. A rule that lists ``negations`` drops a hit when

- one of its cues stands just before the hit in the same clause (不是, 千万不要), or
  between the two parts of a near/follows match (未成年的宝宝千万不要打赏);
- a one-character cue (不, 没) stands directly before it (不治病), never a few words
  earlier (不到一周血压就降了);
- a cue written with a leading ``…`` follows the hit in its clause (未成年人…请勿);
- a mention marker (这种话, 这个词, 的事, 我不敢 …) follows it directly.

Cues are per rule because negation is part of some violations themselves (不用吃药,
再也不复发, 不买就滚).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from clipguard.compliance_rules.document import SENTENCE_MARKS, Document, Hit
from clipguard.text import has_han, mandarin

CLAUSE_MARKS = SENTENCE_MARKS | frozenset("，,、：:")
CONTRAST = re.compile(r"\bbut\b|但是|不过|可是", re.I)
# where a refusal turns into the thing refused: but …, so I'll just spell it …, or a
# price for it (我不能说……刷个嘉年华就说)
TURN = re.compile(
    CONTRAST.pattern
    + r"|\bso\s+i['’ ]?ll\b|\bso\s+i\s+will\b|\bso\s+let\s+me\b"
    + r"|(?:刷|送|打赏)(?:个|一个|[0-9一二三四五六七八九十两]+个)?"
    + r"(?:嘉年华|火箭|飞机|礼物|跑车|灯牌)(?:我)?就(?:说|讲|告诉)",
    re.I,
)
BEFORE_HAN = 10  # characters before a Chinese hit in which a cue counts
BEFORE_LATIN = 40
AFTER = 12  # characters after a hit in which an after-cue (…请勿) counts
# the hit is the topic of talk about words, not a claim: 抗癌这种话, 分红的事, 疗程这个词
MENTION = re.compile(
    r"^\s*(?:这种话|这些话|这话|这个词|这种词|这几个字|这两个字|这种事|这个事|这事|这种东西|"
    r"这种说法|这个说法|这种问题|这类问题|的事|的话题|的只有|什么的|这个话题|的话(?:我们|咱们)?不|"
    r"(?:的)?评论会被|违法|是骗子|都是骗子|这个(?:游戏|设定|词|说法)|"
    r"这(?:些|种)(?:东西|事|信息)?(?:我们|咱们|我)?(?:从来|一律|都|是)?不|"
    r"(?:的|产品)?只有(?:银行|存款|国债|定期)|"
    # a denial right after the claim, in its clause: 顶级的服务我们做不到, 说它最好我不敢
    r"[^，,。！？!?；;]{0,6}?(?:我不敢|不敢说|做不到|谈不上|算不上|称不上|"
    r"(?:我们|咱们|咱|我)(?:从来|一律|都)?不(?:做|搞|干|接|碰)))"
)


@dataclass(frozen=True)
class Cues:
    """A rule's negation cues, compiled once per scanner."""

    before: re.Pattern[str] | None  # two or more characters, anywhere before in the clause
    single: frozenset[str]  # one character, directly before
    after: re.Pattern[str] | None  # written …请勿: just after, in the clause


def _pattern(cues: Sequence[str]) -> re.Pattern[str] | None:
    parts = [
        re.escape(c) if has_han(c) else rf"(?<![a-z]){re.escape(c.lower())}(?![a-z])" for c in cues
    ]
    return re.compile("|".join(parts)) if parts else None


def compile_cues(cues: Sequence[str]) -> Cues | None:
    """Latin cues are word-bounded (no 'not' in 'note'); Cantonese cues are read in
    Mandarin (唔会 as 不会), as the text they are looked for in (``Document.plain``)."""
    if not cues:
        return None
    cues = [mandarin(c) for c in cues]
    after = [c[1:] for c in cues if c.startswith("…") and len(c) > 1]
    rest = [c for c in cues if not c.startswith("…")]
    single = frozenset(c for c in rest if len(c) == 1 and has_han(c))
    return Cues(_pattern([c for c in rest if c not in single]), single, _pattern(after))


def negated(doc: Document, hit: Hit, cues: Cues) -> bool:
    """Whether ``hit`` is denied, a notice, or only mentioned (see the module doc)."""
    text = doc.plain
    if hit.start > 0 and text[hit.start - 1] in cues.single:
        return True
    latin = not has_han(text[hit.start : hit.end])
    lo = max(0, hit.start - (BEFORE_LATIN if latin else BEFORE_HAN))
    for k in range(hit.start - 1, lo - 1, -1):
        if text[k] in CLAUSE_MARKS:
            lo = k + 1
            break
    # a denial before "but" belongs to what came before it: I can't say it on live but
    # check the story highlight
    turns = list(CONTRAST.finditer(text, lo, hit.start))
    if turns:
        lo = turns[-1].end()
    if cues.before is not None and cues.before.search(text[lo : hit.start].lower()):
        return True
    if "…" in hit.matched:  # between the parts; the matched words are not cues
        inside = text[hit.start : hit.end].lower()
        parts = hit.matched.lower().split("…")
        # a one-character cue right before a later part denies it too: 未成年人别充值
        at = 0
        for k, part in enumerate(parts):
            i = inside.find(part, at)
            if i < 0:
                break
            if k and i > 0 and inside[i - 1] in cues.single:
                return True
            at = i + len(part)
        for part in parts:
            inside = inside.replace(part, " ")
        if cues.before is not None and cues.before.search(inside):
            return True
    if cues.after is not None:
        tail = text[hit.end : hit.end + AFTER]
        cut = next((i for i, ch in enumerate(tail) if ch in CLAUSE_MARKS), len(tail))
        if cues.after.search(tail[:cut].lower()):
            return True
    return bool(MENTION.match(text[hit.end : hit.end + 12]))


# A sentence that refuses, warns or reports is about the rule, not a breach of it, even
# when the refusal sits in another clause (有弹幕问我番号，兄弟，这个真不能说; 凡是让你私下
# 转账的都是骗子). Measured on the tuning corpus before it was added: it silenced most
# clean sentences flagged across clauses and almost no violation (violations that carry
# such a phrase are hosts pretending to refuse, 不能说太细，大概…, and stay found by the
# constructions that do not ask for it: see ``SENTENCE_REFUSAL_EXEMPT``).
SENTENCE_REFUSAL = re.compile(
    mandarin(
        r"(?:(?<!在这儿)(?<!在这里)(?<!渠道)(?<!直播间)(?<!镜头前)(?<!评论区)(?<!那个字我)(?<!那个词我)(?<!这个字我)(?:真|就|可|也|都|一律|绝对)?不(?:能|会|可以)(?:说|讲|回答|透露)(?!出去)"
        r"(?![^，,。！？!?]{0,4}(?:太细|太明白|的))(?![^。！？!?]{0,6}(?:大概|大致|反正|但|不过|回头))"
        r"(?![^。！？!?]{0,16}(?:找我|私下|私聊|加我|简介|主页|心里|头像|懂的都懂|你们懂|你们自己懂|你懂的|恁懂|懂的))|"
        r"一个字(?:都|也)不(?:会|能)|别(?:打听|乱猜|乱传|发这种|上当|碰|信|转|扫|刷了|再刷)|"
        r"(?<!不)(?:都是|是|属于)(?:骗局|诈骗|陷阱|传销|非法集资|谣言)|反诈|防骗|(?<!别)(?<!敢)举报|报警|是违法的|"
        # a rhetorical denial answers a claim put as a question: 稳赚不赔？世上哪有这好事
        r"(?:世上|天下|哪里)?哪有这(?:种|么|样)?(?:好事|便宜事)|(?:都是|那是|就是)瞎吹|"
        r"(?<!赚)(?<!回本)(?<!赚钱)(?<!翻倍)(?<!盈利)不(?:出镜|上镜|让孩子|找小模特|收)|(?<!不)会(?:退|退回|退款)|走退款|"
        r"平台(?:规定|不允许)|(?:镜头|摄像头)(?:转开|转走|挪开|关了|关掉)|把(?:镜头|摄像头)(?:转|挪|移)(?:过去|开|走)?了|"
        r"don['’ ]?t ask(?! how (?:i|we) got)|won['’ ]?t answer|can['’ ]?t (?:say|tell|answer|regrow|replace)(?! (?:it |the \w+ |prices? |(?:too )?much |more )?(?:on )?here)(?![^.!?]{0,90}\b(?:but|privately|you know where|elsewhere|dm me|message me|okay fine|ok fine)\b)(?! (?:it |that |the [\w ]{1,30}?)?(?:on (?:the )?live|on stream|out loud|too loud))|"
        r"(?:is|['’ ]s) a scam|will be refunded|\bno be my own\b|\bnot mine\b|\b(?:is|are)n['’ ]?t mine\b|not (?:a medicine|allowed(?![^.!?]{0,40}\bbut\b))|aren['’ ]?t medicine|"
        r"don['’ ]?t (?:stop|cure|treat|heal|fix)|regulators|fined|"
        # a viewer's question or claim, then the host's correction: 有宝宝问能不能加微信，不好意思…
        r"有(?:个|位)?(?:宝宝|宝子|观众|朋友|粉丝|家人|人|小朋友|网友|老铁|兄弟|姐妹|阿姨|大姐|大爷|叔叔|宝妈|顾客|客人)(?:在)?(?:评论区|弹幕|公屏|直播间)?里?"
        r"(?:私信|私聊)?(?:问|说|发|要|让我)[^。！？!?]*?(?:不好意思|不给|纠正|不要信|别信|别进|处理了|不可以|不行|不能|只在平台|别刷|写作业|退款|不讲|不说)|"
        r"不(?:要|能)信|(?<!那个字我)(?<!那个词我)(?<!这个字我)不敢(?:说|保证)(?![^。！？!?]{0,3}(?:但|不过|可是))(?![^。！？!?]{0,8}(?:你们懂|你懂的|懂的都懂|恁懂))|给了我就违规|就违规了|会违规|这是规定|不带(?:孩子|娃|小孩)|"
        r"请不要刷|不用(?:给我)?刷|"
        r"\b(?:a viewer|someone|anyone)\b[^.;!?]{0,40}\b(?:asked|asks|says|said|offers?)\b[^!?]{0,80}"
        r"(?:\bno\b|can['’ ]?t|\bnot\b|\breport\b)|can['’ ]?t claim|(?:not going to|won['’ ]?t) claim|"
        r"report (?:them|it|him|her)\b|for a refund|"
        # refusals and warnings in everyday wording, each seen flagging clean tuning sentences
        r"不(?:做|搞|干|接)(?:场外|私下|私单|这种|那种)|(?:一律|一概)不(?:答|提|回|聊|讲|谈|说)|"
        r"不会给你(?:报|发|加)|不报私价|不好意思[，,]?不|(?:微信|我)不加(?:粉丝|陌生人)|"
        r"(?:莫|别|不要)去加|(?:别|莫|千万别|不要)[^，,。！？!?]{0,14}停药|莫信|(?:别|莫)听(?:人|别人|别个|他们|那些|网上|任何人|直播间)|别(?:乱说|瞎传)|"
        r"[非不]保本|不等于保本|不代表未来|被[^，,。！？!?]{0,14}骗|泄露(?:个人)?(?:信息|隐私)|"
        r"(?:场控|房管)[^，,。！？!?]{0,6}(?:删|踢|处理|禁言)|太低俗|只(?:讲|说|聊)[^，,。！？!?]{0,8}公开|"
        r"\b(?:never|don['’ ]?t|do not) stop (?:your|taking)\b|red flag(?! (?:schedule|exercise|dates|rotation|sortie))|not principal|no[- ]fly zone|"
        r"纠正(?:1下|一下|下)|只能按链接|已(?:经)?拉黑|可以退|申请退(?:款|回)(?![^。！？!?]{0,16}(?:私我|私聊|私信|加我|私下|找我|打给我|转给我|线下|另外|单独发))|防止孩子|看管好|"
        r"(?:课本|史料|教科书|百科|公开资料)(?:上|里)(?:都有|有写|写着)|"
        r"(?:^|[，,。])不(?:讲|说|聊)(?:[，,。！!]|$)|\bsorry,? no\b|through the platform|no get[- ]rich|"
        r"怎么退|联系平台|(?:已|都)?屏蔽了|千万别做|别问了|拉黑|别(?:瞎|乱)信|瞎编|当笑话|号称|"
        r"不建议|不推荐|不承诺|都是骗|凡是|(?:手机号|号码|微信|电话|住址)不公开|不加(?:粉丝|陌生人|好友)|"
        r"(?:别|不要|莫)(?:去)?加(?:任何)?(?:私人|陌生)|不接受[^，,。！？!?]{0,6}(?:刷|打赏|礼物)|管好|"
        r"先下播|下播陪|不(?:做|当)(?:童模|小主播|童星)|留着买|保护(?:好)?(?:自己的|你的|大家的)?隐私|"
        r"提醒平台|平台核实|小心骗子|不一定是正品|认准官方|不代表疗效|那可不行|真别乱跟|\bcorrection\b|"
        r"can['’ ]?t promise that|只能说没有|没有(?:稳赚|保本|零风险)|镜头不往|camera stays on|没法(?:替你)?说|口误|收回(?:这句|刚才|这个词|那句)|"
        r"(?:现在|以后|再也)不(?:说|讲)了|(?:都|就)?[是系]骗子|出了?问题[^，,。！？!?]{0,6}保障不了|劝(?:他|她|你|大家)别|"
        r"没有(?:治疗|医疗|药用)(?:作用|效果|功效)|please don['’ ]?t post|we['’ ]?ll delete|"
        r"(?:就该|要|得)警惕|从不私下|(?:是|在)平台内|(?<!成年)别(?:给我)?(?:打赏|充值|刷礼物)|"
        # round 5 (heldout18): advice to follow the doctor, rumours called rumours, schemes named,
        # refunds through the platform, public news, "not a soldier"; 不方便说 only where no
        # place is named (直播间不方便说价 + 私聊 is the evasion itself: heldout19)
        r"遵医嘱|(?:代替|替代|取代)不了|(?:可|就|它)干不了|(?:说法|传言|那些话)(?:都)?不靠谱|没(?:有)?科学依据|"
        r"割韭菜|(?:那|这)(?:叫|是|就是)(?:传销|诈骗|骗局)|擦亮眼|唔好(?:听|信)|有赚有(?:蚀|亏|赔)|"
        r"没(?:什么|啥|有)内部(?:消息|通道|渠道)|(?<!这儿)(?<!这里)(?<!这边)(?<!直播间)(?<!评论区)(?<!平台上)(?<!打字)(?<!镜头前)(?<!在这)不方便(?:说|透露|讲)(?!价)(?![^。！？!?]{0,10}(?:找我|私|加我|去|搜|联系|vx|v信|微信|后台|绿))|(?:账号|号)是冒充的|退款流程|(?<!不走)(?<!别走)平台退款|"
        r"不适合(?:你|小朋友|孩子|学生|未成年)|(?:要|得)收起来|it['’ ]?s illegal|not a (?:real )?(?:uniform|soldier)|"
        r"i['’ ]?m not a soldier|no miracle|"
        # round 6 (heldout19): advice to see a doctor, a scheme named, "not a minor", an
        # account or uniform said to carry nothing, not asking about military sites
        r"听(?:主治|你的)?医生的|还是(?:要|得)?去医院|按(?:照)?医(?:生|嘱)|不乱(?:推荐|说|卖)|(?:都是|就是|是)(?:资金盘|庞氏)|"
        r"不是未成年|(?:得|要|必须)满(?:18|十八)(?:岁|周岁)|没(?:有)?(?:别的|其他)意思|(?<!莫)(?<!别)(?<!不要)(?<!不用)(?<!不必)(?:在|找|问|联系)(?:店铺|平台|官方)客服|"
        r"没有(?:任何)?(?:番号|标志|标识)|不打听|网上(?:都)?有公开|不让(?:他们|她们|他|她|娃|孩子们?)出镜|"
        r"(?:孩子|小孩|未成年人?)不能(?:喝酒|抽烟|打赏|充值)|won['’ ]?t (?:cure|treat|heal|fix)|i won['’ ]?t (?:say|tell)|"
        # round 7 (heldout20): the same refusals in Cantonese, Nigerian and Jamaican English
        r"冇私下|唔(?:能|可以|会)(?:治|医)|(?:冇|没)人(?:可以|能)保证|冇得讲|唔好问|涉及保密|不回答|"
        r"(?<!不)(?:就是|都是|是)[^，,。！？!?]{0,4}(?:诈骗|骗局)|就在这(?:里|儿)?(?:买|拍|下单)|"
        r"\bno fit promise\b|\bnobody (?:should|can) promise\b|\b(?:dat|that)['’ ]?s? a scam\b|"
        r"这个词不能用|出了问题没人管|(?:一律)?不签|等(?:你|她|他)成年|成年(?:了)?再说|\bplease\s+don['’ ]?t\s+(?:send|gift|tip|donate)\b|(?:微信|号)只(?:是)?给家人|just for family|(?<!原始股)(?<!不是)(?<!不是个)(?<!没有)骗局|"
        # round 8 (heldout21): "I would not dare say it", "we don't sell it", "I don't add
        # you", details covered up, kids told to study or keep the payment password
        r"不敢(?:这么|这样|那么|乱)(?:讲|说|吹)|(?:我们|咱们|咱|我|俺)(?:从来|一律|都|也)?不卖(?=[，,。！？!?]|$)|"
        r"(?:俺|我|咱)(?:可)?不加(?=[，,。！？!?]|$)|"
        r"(?:信息|番号|名字|编号|证号)[^，,。！？!?]{0,4}(?:都)?(?:遮|挡|打码|马赛克)(?:上|住|了)|"
        r"(?:别|不要|莫|千万别)(?:往|去|靠近|进)[^，,。！？!?]{0,6}(?:禁区|军事管理区|军营|营区)|"
        r"先把书读好|好好读书|管住|密码别(?:告诉|给)|别刷(?=[，,。！？!?]|$)|不要你的钱|"
        r"\bnever tells? (?:us|me|anyone|anybody)\b|that['’]s how it should be|"
        # round 8 (heldout23/24): a child who will not be on camera, money kept for the child,
        # answers kept in the platform's own messages
        r"不会(?:出镜|上镜|露脸)|不用(?:找|加)(?:我|俺)(?:私聊|私信|私下)|保证不了|我(?:可|并|真)?不这么(?:认为|看|觉得)|"
        r"让(?:他|她|孩子|他们|她们)(?:关了|关掉|别刷|退出)|\b(?:doesn['’]?t|does not|don['’]?t|never|won['’]?t)\s+(?:appear|go|come)\s+on\s+(?:my\s+|the\s+)?(?:lives?|streams?|camera)\b|"
        r"\b(?:not|never)\s+on\s+(?:camera|stream|my\s+lives?)\b|留着自己用|(?:别|不要)给主播|"
        r"\bask\s+(?:your\s+)?(?:mom|mum|parents|mom\s+or\s+dad|mum\s+or\s+dad)\s+(?:before|first)\b|\bjust\s+don['’]?t(?=[.!?]|$)|"
        r"\bscammers?\b|\bpretending\s+to\s+be\s+(?:me|us)\b|\bnever\s+ask\s+you\s+to\b|\bhaving\s+you\s+on\b|"
        r"\bthe\s+only\s+passive\s+thing\b|\bonly\s+for\s+family\b|\blost\s+money\s+in\b|\bfamily\s+gist\b|\bno\s+business\s+there\b|\bit['’ ]?s\s+just\s+me\s+on\s+the\s+(?:live|stream)\b|\bsame\s+tiktok\s+shop\b|\bnot\s+anywhere\s+else\b|"
        r"\banyone\s+who\s+promises\b|\b(?:can(?:no|['’ ]?)t|cannot)\s+afford\s+to\s+lose\b|\bthere\s+is\s+(?:always\s+)?risk\b|\bbefore\s+you\s+believe\b|\bnot\s+money\s+you\s+(?:can\s+)?withdraw\b|\b(?:minors|under[- ]?\w+|kids)\s+can['’]?t\s+send\s+gifts\b|\bwon['’]?t\s+take\s+(?:bids|gifts|money)\s+from\s+minors\b|"
        r"统一在(?:淘宝|抖音|快手|平台|店铺)?(?:消息|客服|私信)里回复)"
    ),  # read in ``Document.plain``, where Cantonese is written in Mandarin characters
    re.I,
)
# categories whose words are the violation themselves: an insult is one inside a refusal
# too (卧槽，这傻逼又来了，房管把他踢了; 河南人都是骗子，别跟他们买), so their rules keep only
# their own denials and a refusal elsewhere in the sentence never excuses them
UNEXCUSED = frozenset({"vulgarity"})

# the first words of an answer that says no, after a question in the sentence before:
# 国家级？不是啊…, Does it cure acne? No, … ("No problem" answers nothing: Bad credit? No
# problem, instant loan)
ANSWER_NO = re.compile(
    r"\s*(?:不是|不能|不会|不行|当然不|那不|这个不|no\b(?![\s,]+(?:problem|worries|issue|stress|sweat))"
    r"|nope\b|nah\b|not really|of course not)",
    re.I,
)
# a rhetorical question answers itself with no: 还有谁家能便宜过我们？没有！
RHETORICAL = re.compile(r"谁|哪|比|anyone|anybody|\bwho\b|\bwhich\b|any other|better|cheaper", re.I)


def refused(text: str, a: int, b: int, end: int) -> bool:
    """Whether the sentence ``text[a:b]`` refuses, warns or reports (``SENTENCE_REFUSAL``),
    or is a question the next sentence (before ``end``) answers with no or a refusal.
    A refusal that turns (``TURN``: but, so I'll …) is an evasion, not a refusal (I won't
    say it on camera, but super chat and I will; 这个不能说，但是私信我): the clause's own
    cues still apply."""
    if any(not TURN.search(text, a + m.end(), b) for m in SENTENCE_REFUSAL.finditer(text[a:b])):
        return True
    q = b
    while q > a and text[q - 1].isspace():
        q -= 1
    if q > a and text[q - 1] in "?？":  # the mark is inside (a judge's sentences keep it)
        c = q
    else:
        while q < end and text[q].isspace():
            q += 1
        if q >= end or text[q] not in "?？":
            return False
        c = q + 1
    d = c
    while d < end and text[d] not in SENTENCE_MARKS:
        d += 1
    if SENTENCE_REFUSAL.search(text[c:d]):
        return True
    return bool(ANSWER_NO.match(text[c:d])) and not RHETORICAL.search(text[a:b])


# Reports of someone else's claim and denials, for every rule of a language (有人说能治癌，
# 那是谣言; someone in chat wants me to say …): one list here instead of a copy in each
# rule's ``negations``, merged into each rule's own cues by ``rule_cues``.
SHARED_CUES_ZH = (
    *("有人说", "有人让我说", "有人让我", "不敢说", "不让说", "谣言", "别信", "不要信", "新闻说"),
    *("那个主播", "被罚", "被封", "有人问", "不算", "从不", "从来不", "不能保证", "没有让", "没让"),
    *("被平台警告", "被警告", "…被平台警告", "…被警告"),
    *("…是谣言", "…谣言", "…被罚", "…被封", "…别信", "…是骗子", "…不能说", "…不让说"),
    *("…我不说", "…广告法", "…报警", "…是传销", "…非法集资", "…举报", "…给不了", "…不用留"),
    *("…是大人的事",),
)
SHARED_CUES_EN = (
    *("someone in chat", "someone asked", "not allowed to", "can t make that claim"),
    *("don t trust", "is a scam", "it s a scam", "report them"),
)


def rule_cues(rule_id: str, own: Sequence[str]) -> tuple[str, ...]:
    """A rule's own cues and the shared ones of its language (English rules carry
    ``en.`` in their id)."""
    shared = SHARED_CUES_EN if rule_id.startswith("en.") else SHARED_CUES_ZH
    return (*own, *(c for c in shared if c not in own))
